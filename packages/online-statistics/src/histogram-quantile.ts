import { invalid } from './input-checks.ts';
import { bucketRange, checkLatencyCounts, LATENCY_HISTOGRAM } from './latency-histogram.ts';

/**
 * The q-quantile of a latency histogram (LATENCY_HISTOGRAM layout), linearly
 * interpolated inside the bucket it falls in, as Prometheus's
 * histogram_quantile does: with n units and rank r = q·n, the bucket k is the
 * first non-empty one whose cumulative count reaches r, and
 *   x_q = lower_k + (upper_k − lower_k) · (r − count before k) / count_k.
 * Uniform spread within a 5% bucket is the usual assumption (Hyndman & Fan
 * 1996 discuss such piecewise-linear sample quantiles); the error is a fraction of one bucket.
 *
 * Example: 30 units in bucket 10 and 70 in bucket 20. q 0.5 → r 50, bucket 20,
 * x = bounds[19] + (bounds[20] − bounds[19]) · (50 − 30)/70. q 0.3 → r 30,
 * bucket 10 reached exactly: its upper bound bounds[10]. q 0 → bounds[9] (the
 * lowest bucket's lower end), q 1 → bounds[20].
 *
 * A quantile in the overflow bucket is reported as 120,000 ms, a lower bound
 * of the truth. Throws STATISTICS_INPUT_INVALID for q outside [0, 1], a
 * histogram of another layout, and an empty one.
 */
export function histogramQuantile(counts: readonly number[], q: number): number {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) invalid(`q must be in [0, 1], got ${q}`);
  const total = checkLatencyCounts(counts);
  if (total === 0) invalid('the histogram is empty: no quantile');
  return quantileOf(counts, total, q);
}

/** histogramQuantile without the checks, for callers that made them. */
export function quantileOf(counts: readonly number[], total: number, q: number): number {
  const rank = q * total;
  let before = 0;
  for (let k = 0; k < counts.length; k++) {
    const count = counts[k] as number;
    if (count === 0) continue;
    if (before + count >= rank) {
      const [lower, upper] = bucketRange(k);
      if (upper === Number.POSITIVE_INFINITY) return lower;
      return lower + ((upper - lower) * Math.max(0, rank - before)) / count;
    }
    before += count;
  }
  // Unreachable for q ≤ 1 (the last non-empty bucket reaches the total); kept for rounding in q · total.
  return LATENCY_HISTOGRAM.bounds[LATENCY_HISTOGRAM.bounds.length - 1] as number;
}

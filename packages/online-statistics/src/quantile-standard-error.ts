import { hallSheatherBandwidth } from './hall-sheather-bandwidth.ts';
import { quantileOf } from './histogram-quantile.ts';
import { invalid } from './input-checks.ts';
import { checkLatencyCounts, LATENCY_HISTOGRAM } from './latency-histogram.ts';

/**
 * Asymptotic standard error of the sample q-quantile read from a latency
 * histogram: √(q(1 − q)/n) / f(x_q) (the sample quantile is asymptotically
 * normal with that spread: Serfling 1980, Approximation Theorems of
 * Mathematical Statistics, §2.3; Wasserman 2004, All of Statistics).
 *
 * f(x_q), the density at the quantile, is estimated from the histogram around
 * it by the difference quotient (Siddiqui 1960; Bofinger 1975)
 *   f ≈ (q₊ − q₋) / (x_{q₊} − x_{q₋}),  q± = q ± h clamped to [0, 1],
 * with Hall & Sheather's bandwidth h (hallSheatherBandwidth), each x read by
 * histogramQuantile. So SE = √(q(1 − q)/n) · (x_{q₊} − x_{q₋}) / (q₊ − q₋).
 * Where the window lies inside one bucket this is that bucket's own density,
 * count/(n · width).
 *
 * Example: 10,000 units all in bucket 200, q 0.5: h ≈ 0.045 keeps the window
 * inside the bucket, where x is linear in q with slope = the bucket's width w;
 * SE = √(0.25/10,000) · w = 0.005 · w.
 *
 * For treatment − control of a quantile (latency p95), the arms are
 * independent: SE = √(SE_t² + SE_c²), then sequentialNonInferiority.
 * Returns Infinity when the window reaches the overflow bucket (> 120,000 ms:
 * the density there is unknown, and capping x would understate the error),
 * which the sequential tests read as "no information".
 * Throws STATISTICS_INPUT_INVALID for q outside (0, 1), a histogram of another layout, or an empty one.
 */
export function quantileStandardError(counts: readonly number[], q: number): number {
  if (typeof q !== 'number' || !(q > 0 && q < 1)) invalid(`q must be in (0, 1), got ${q}`);
  const n = checkLatencyCounts(counts);
  if (n === 0) invalid('the histogram is empty: no quantile');
  const h = hallSheatherBandwidth(n, q);
  const qLow = Math.max(0, q - h);
  const qHigh = Math.min(1, q + h);
  const overflow = counts[LATENCY_HISTOGRAM.buckets - 1] as number;
  // x_{q₊} is in the overflow bucket when its rank passes the units below 120,000 ms.
  if (overflow > 0 && qHigh * n > n - overflow) return Number.POSITIVE_INFINITY;
  const spread = quantileOf(counts, n, qHigh) - quantileOf(counts, n, qLow);
  return (Math.sqrt((q * (1 - q)) / n) * spread) / (qHigh - qLow);
}

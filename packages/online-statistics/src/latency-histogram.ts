import { invalid } from './input-checks.ts';

const LOWEST_MS = 0.01;
const HIGHEST_MS = 120_000;
/** ln(120,000 / 0.01) / ln 1.05 ≈ 334.1: 334 steps give a growth of 1.0500142 per bucket. */
const STEPS = 334;

/**
 * Upper bounds of the latency histogram's buckets, in ms, ascending:
 * bounds[i] = 0.01 × (1.2e7)^(i/334) rounded to 6 significant digits, i = 0…334,
 * so bounds[0] = 0.01, bounds[167] = 34.641 (0.01 × √1.2e7), bounds[334] = 120,000.
 * Each bucket is ~5% wide relative to its value, so a quantile read from it is
 * off by at most ~5% (much less with interpolation). Rounded bounds are a
 * table anyone (SQL, another language) reproduces exactly; the rounding moves
 * a bound by at most 5e-6 relative.
 *
 * Buckets: 0 is [0, bounds[0]], i is (bounds[i−1], bounds[i]], and
 * bounds.length is the overflow bucket (> 120,000 ms), so a histogram is
 * `buckets` = 336 counts. Counts of the same `version` merge by adding index
 * by index (mergeLatencyCounts), across replicas and time; stored as
 * PostgreSQL bigint[]. Changing the bounds means a new version: counts of
 * different versions do not add.
 */
export const LATENCY_HISTOGRAM: { readonly version: string; readonly bounds: readonly number[]; readonly buckets: number } = Object.freeze({
  version: 'latency-log-5pct/1',
  bounds: Object.freeze(
    Array.from({ length: STEPS + 1 }, (_, i) => Number((LOWEST_MS * (HIGHEST_MS / LOWEST_MS) ** (i / STEPS)).toPrecision(6))),
  ),
  buckets: STEPS + 2,
});

/**
 * The bucket a latency falls in (see LATENCY_HISTOGRAM): the first bound ≥ ms,
 * or the overflow bucket past the last. Binary search, ~9 comparisons.
 * Examples: 0 → 0, 0.01 → 0, 0.0100001 → 1, 120,000 → 334, 120,001 → 335.
 * Throws STATISTICS_INPUT_INVALID for a negative, NaN or infinite latency (a clock bug, not a slow plan).
 */
export function latencyBucket(ms: number): number {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) invalid(`latency must be a finite number of ms ≥ 0, got ${ms}`);
  const bounds = LATENCY_HISTOGRAM.bounds;
  let low = 0;
  let high = bounds.length; // the answer is in [low, high]; high = overflow
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((bounds[middle] as number) >= ms) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Index-by-index sum of histograms of the same version (replicas, days). */
export function mergeLatencyCounts(...histograms: ReadonlyArray<readonly number[]>): number[] {
  const merged = new Array<number>(LATENCY_HISTOGRAM.buckets).fill(0);
  for (const [h, counts] of histograms.entries()) {
    checkLatencyCounts(counts, `histogram ${h}`);
    for (let i = 0; i < merged.length; i++) merged[i] = (merged[i] as number) + (counts[i] as number);
  }
  return merged;
}

/** A histogram of LATENCY_HISTOGRAM's layout: `buckets` whole counts ≥ 0. Returns the total. */
export function checkLatencyCounts(counts: readonly number[], name = 'counts'): number {
  if (!Array.isArray(counts) || counts.length !== LATENCY_HISTOGRAM.buckets) {
    invalid(`${name} must have ${LATENCY_HISTOGRAM.buckets} bucket counts (${LATENCY_HISTOGRAM.version}), got ${counts?.length}`);
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
      invalid(`${name}[${i}] must be a whole number ≥ 0, got ${count}`);
    total += count;
  }
  return total;
}

/** [lower, upper] of bucket i; the overflow bucket has no upper bound (Infinity). */
export function bucketRange(i: number): [number, number] {
  const bounds = LATENCY_HISTOGRAM.bounds;
  const lower = i === 0 ? 0 : (bounds[i - 1] as number);
  const upper = i < bounds.length ? (bounds[i] as number) : Number.POSITIVE_INFINITY;
  return [lower, upper];
}

import { SeededRandom } from '@planner/domain';
import { mean } from './descriptive.ts';
import { checkOption, checkPaired, checkSample, differences } from './sample-checks.ts';

export interface BootstrapOptions {
  /** Seeds the resampling (a safe integer): the same values and seed give the same interval on every machine. */
  seed: number;
  /** Resamples drawn; default 2000. */
  resamples?: number;
  /** Two-sided coverage of the interval, in (0, 1); default 0.95. */
  confidence?: number;
}

export interface MeanInterval {
  /** The sample mean itself (not the mean of the resamples). */
  estimate: number;
  low: number;
  high: number;
}

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_CONFIDENCE = 0.95;

export interface ResolvedBootstrapOptions {
  seed: number;
  resamples: number;
  confidence: number;
}

export function resolveBootstrapOptions(options: BootstrapOptions): ResolvedBootstrapOptions {
  const { seed, resamples = DEFAULT_RESAMPLES, confidence = DEFAULT_CONFIDENCE } = options;
  checkOption(Number.isSafeInteger(seed), `seed must be a safe integer, got ${seed}`);
  checkOption(Number.isInteger(resamples) && resamples >= 1, `resamples must be an integer ≥ 1, got ${resamples}`);
  checkOption(
    Number.isFinite(confidence) && confidence > 0 && confidence < 1,
    `confidence must lie strictly between 0 and 1, got ${confidence}`,
  );
  return { seed, resamples, confidence };
}

/**
 * The means of `resamples` bootstrap resamples of every column, drawing ONE
 * stream of row indices shared by all columns (each a per-row value of the
 * same rows). Sharing keeps paired quantities paired — a resample that drew
 * row 7 three times did so for the candidate, the baseline and their
 * difference alike — and a column's means are exactly those a one-column call
 * with the same seed gives, so aggregate tables agree with single intervals.
 */
export function resampledMeans(columns: ReadonlyArray<readonly number[]>, seed: number, resamples: number): Float64Array[] {
  const n = columns[0]?.length ?? 0;
  const width = columns.length;
  // Row-major copy: a drawn row's values sit side by side, which keeps the inner loop in cache for wide tables.
  const table = new Float64Array(n * width);
  columns.forEach((column, c) => {
    for (let row = 0; row < n; row++) table[row * width + c] = column[row] as number;
  });
  const random = new SeededRandom(seed);
  const means = columns.map(() => new Float64Array(resamples));
  const sums = new Float64Array(width);
  for (let r = 0; r < resamples; r++) {
    sums.fill(0);
    for (let k = 0; k < n; k++) {
      const offset = random.int(0, n - 1) * width;
      for (let c = 0; c < width; c++) sums[c] = (sums[c] as number) + (table[offset + c] as number);
    }
    for (let c = 0; c < width; c++) (means[c] as Float64Array)[r] = (sums[c] as number) / n;
  }
  return means;
}

/**
 * The percentile interval: the (1 − confidence)/2 and (1 + confidence)/2
 * quantiles of the resampled means, interpolated linearly between order
 * statistics (Hyndman & Fan type 7, R's default) so a small resample count
 * still moves smoothly.
 */
export function percentileInterval(estimate: number, resampleMeans: Float64Array, confidence: number): MeanInterval {
  const sorted = Float64Array.from(resampleMeans).sort();
  const tail = (1 - confidence) / 2;
  return { estimate, low: quantile(sorted, tail), high: quantile(sorted, 1 - tail) };
}

function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (h - below) * (upper - lower);
}

/**
 * Percentile-bootstrap confidence interval of the mean: resample the values
 * with replacement `resamples` times, take each resample's mean, report the
 * central `confidence` share of them. Deterministic under `seed` (SeededRandom).
 * Example: values [0, 1] — each resample of two is {0,0}, {0,1}/{1,0} or {1,1},
 * mean 0, 0.5 or 1 with probability ¼, ½, ¼ — so the 95% interval is [0, 1]
 * around the estimate 0.5. Throws STATISTICS_INPUT_INVALID for an empty
 * sample, a non-finite value or invalid options.
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions): MeanInterval {
  checkSample(values, 'values');
  const { seed, resamples, confidence } = resolveBootstrapOptions(options);
  const [means] = resampledMeans([values], seed, resamples);
  return percentileInterval(mean(values), means as Float64Array, confidence);
}

/**
 * Percentile-bootstrap interval of the mean per-row difference candidate −
 * baseline, resampling rows (pairs), not the two samples independently: the
 * rows differ far more from each other than the policies do on one row, and
 * pairing removes that spread from the interval. Raw difference, not oriented:
 * for a lower-is-better metric a negative interval is the candidate's gain.
 */
export function pairedBootstrapDifference(
  candidate: readonly number[],
  baseline: readonly number[],
  options: BootstrapOptions,
): MeanInterval {
  checkPaired(candidate, baseline);
  return bootstrapMeanInterval(differences(candidate, baseline), options);
}

import { centeredSquares, checkCount, checkFinite, invalid } from './input-checks.ts';

/** One arm's per-unit values, summarized. */
export interface ArmSummary {
  /** Units (≥ 2). */
  n: number;
  mean: number;
  /** Sample variance, n − 1 denominator. */
  variance: number;
}

/**
 * Running sums of one arm's per-unit values: they add across batches, shards
 * and days, so the monitor stores these and never the units.
 */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

/**
 * Mean and sample variance from running sums (the textbook computing formula,
 * s² = (Σv² − (Σv)²/n)/(n − 1), e.g. Wasserman, All of Statistics, §9 / any
 * survey-sampling text). Exact enough here because per-unit values are rates,
 * counts, milliseconds and dollars whose spread is not tiny against their mean.
 *
 * Example: values 1, 2, 3, 4 → n 4, sum 10, sumSquares 30; mean 10/4 = 2.5;
 * variance (30 − 10²/4)/3 = 5/3.
 *
 * A variance a little below 0 from rounding (a constant sample) is clamped to
 * 0. Throws STATISTICS_INPUT_INVALID for n < 2 (no sample variance), a
 * non-finite sum, or sums no sample can have (Σv² far below (Σv)²/n).
 */
export function summarize(m: Moments): ArmSummary {
  checkCount(m.n, 'n', 2);
  checkFinite(m.sum, 'sum');
  checkFinite(m.sumSquares, 'sumSquares');
  if (m.sumSquares < 0) invalid(`sumSquares must be ≥ 0, got ${m.sumSquares}`);
  return { n: m.n, mean: m.sum / m.n, variance: centeredSquares(m.sumSquares, m.sum, m.n, 'moments') / (m.n - 1) };
}

/** A summary the tests can use: n ≥ 2 whole, finite mean, finite variance ≥ 0. */
export function checkArmSummary(arm: ArmSummary, name: string): void {
  checkCount(arm.n, `${name}.n`, 2);
  checkFinite(arm.mean, `${name}.mean`);
  checkFinite(arm.variance, `${name}.variance`);
  if (arm.variance < 0) invalid(`${name}.variance must be ≥ 0, got ${arm.variance}`);
}

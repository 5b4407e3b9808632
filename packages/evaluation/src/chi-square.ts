import { EvaluationError } from './evaluation-error.ts';
import { regularizedUpperGamma } from './special-functions.ts';

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  /** P(χ²(df) ≥ statistic) under the expected shares. */
  pValue: number;
}

/**
 * Pearson's goodness-of-fit test of counts against the shares they should
 * follow: χ² = Σ (observed − expected)² / expected with expected = n × share,
 * df = categories − 1. An experiment's sample-ratio check: units per variant
 * against the allocation. Categories with share 0 must be empty (and are left out).
 */
export function chiSquareGoodnessOfFit(observed: readonly number[], shares: readonly number[]): ChiSquareResult {
  if (observed.length !== shares.length || observed.length < 2) {
    throw new EvaluationError(
      'STATISTICS_INPUT_INVALID',
      `chi-square needs ≥ 2 categories with one share each, got ${observed.length} counts and ${shares.length} shares`,
    );
  }
  const total = observed.reduce((a, b) => a + b, 0);
  const shareSum = shares.reduce((a, b) => a + b, 0);
  if (observed.some((o) => !Number.isInteger(o) || o < 0) || total === 0) {
    throw new EvaluationError('STATISTICS_INPUT_INVALID', `counts must be whole numbers ≥ 0, not all 0, got ${JSON.stringify(observed)}`);
  }
  if (shares.some((s) => !(s >= 0)) || Math.abs(shareSum - 1) > 1e-9) {
    throw new EvaluationError('STATISTICS_INPUT_INVALID', `shares must be ≥ 0 and add up to 1, got ${JSON.stringify(shares)}`);
  }
  let statistic = 0;
  let categories = 0;
  for (const [i, o] of observed.entries()) {
    const share = shares[i] as number;
    if (share === 0) {
      if (o > 0) return { statistic: Number.POSITIVE_INFINITY, degreesOfFreedom: observed.length - 1, pValue: 0 };
      continue;
    }
    const expected = total * share;
    statistic += (o - expected) ** 2 / expected;
    categories++;
  }
  const degreesOfFreedom = categories - 1;
  return { statistic, degreesOfFreedom, pValue: degreesOfFreedom === 0 ? 1 : regularizedUpperGamma(degreesOfFreedom / 2, statistic / 2) };
}

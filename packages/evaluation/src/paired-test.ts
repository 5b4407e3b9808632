import { checkOption, checkPaired, differences } from './sample-checks.ts';
import { studentTCdf } from './student-t.ts';

export interface NonInferiorityOptions {
  /** How much worse than the baseline still counts as "not worse", in the metric's units, ≥ 0. */
  margin: number;
  /** The metric's direction (see METRICS): orients the difference so positive means the candidate is better. */
  higherIsBetter: boolean;
}

export interface NonInferiorityResult {
  /** Pairs (rows). */
  n: number;
  /** mean(candidate − baseline) in the metric's units, NOT oriented: for latency a positive value means the candidate is slower. */
  meanDifference: number;
  /** Standard error of the mean difference, s_d / √n. */
  stdError: number;
  /**
   * (oriented mean difference + margin) / stdError; large and positive is
   * evidence the candidate is not worse. null when the differences have no
   * spread (the ratio is undefined; `pValue` is then decided directly).
   */
  t: number | null;
  df: number;
  /** One-sided p-value of H0 "the candidate is worse by at least `margin`"; small rejects it. */
  pValue: number;
}

/**
 * Differences whose spread is below this share of their size are "all
 * equal": floating-point noise in c − b must not turn an exact tie into an
 * arbitrary ±huge t.
 */
const ZERO_SPREAD = 1e-12;

/**
 * One-sided paired t-test of non-inferiority on per-row values of the same rows.
 * With d = candidate − baseline (baseline − candidate when lower is better),
 * H0: mean(d) ≤ −margin (the candidate is worse by at least the margin) against
 * H1: mean(d) > −margin. t = (d̄ + margin) / (s_d / √n), df = n − 1,
 * p = P(T_df ≥ t). A gate rejects "significant degradation" when p is NOT
 * small: it could not show the candidate is within the margin.
 *
 * Worked example (higher is better, margin 0.05): candidate [0.8, 0.7, 0.9, 0.6],
 * baseline [0.75, 0.72, 0.8, 0.6]; d = [0.05, −0.02, 0.10, 0]; d̄ = 0.0325;
 * squared deviations 0.00030625 + 0.00275625 + 0.00455625 + 0.00105625 = 0.008675;
 * s_d = √(0.008675 / 3) ≈ 0.053774; stdError ≈ 0.026887;
 * t = (0.0325 + 0.05) / 0.026887 ≈ 3.0684; df = 3; p = P(T_3 ≥ 3.0684) ≈ 0.0273.
 *
 * Zero spread (every d equal): p = 0 when d̄ > −margin, else 1 (H0 holds at the
 * boundary), t null. Throws STATISTICS_INPUT_INVALID for fewer than 2 pairs,
 * samples of different lengths, a non-finite value, or a negative margin.
 */
export function pairedNonInferiorityTest(
  candidate: readonly number[],
  baseline: readonly number[],
  options: NonInferiorityOptions,
): NonInferiorityResult {
  checkPaired(candidate, baseline, 2);
  const { margin, higherIsBetter } = options;
  checkOption(Number.isFinite(margin) && margin >= 0, `margin must be a finite number ≥ 0, got ${margin}`);
  checkOption(typeof higherIsBetter === 'boolean', `higherIsBetter must be a boolean, got ${higherIsBetter}`);

  const raw = differences(candidate, baseline);
  const n = raw.length;
  const df = n - 1;
  let total = 0;
  for (const d of raw) total += d;
  const meanDifference = total / n;
  let squares = 0;
  for (const d of raw) squares += (d - meanDifference) * (d - meanDifference);
  const stdDev = Math.sqrt(squares / df);
  const stdError = stdDev / Math.sqrt(n);
  const oriented = higherIsBetter ? meanDifference : -meanDifference;

  if (stdDev <= ZERO_SPREAD * Math.max(1, Math.abs(meanDifference))) {
    return { n, meanDifference, stdError: 0, t: null, df, pValue: oriented > -margin ? 0 : 1 };
  }
  const t = (oriented + margin) / stdError;
  // P(T ≥ t) read from the lower tail at −t: 1 − cdf(t) would round tiny p-values to 0.
  return { n, meanDifference, stdError, t, df, pValue: studentTCdf(-t, df) };
}

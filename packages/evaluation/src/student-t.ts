import { checkOption } from './sample-checks.ts';
import { regularizedIncompleteBeta } from './special-functions.ts';

/**
 * P(T ≤ t) for Student's t with `df` degrees of freedom (df > 0, need not be
 * an integer). Uses P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2), passing 1 − x as
 * t²/(df + t²) so that small |t| at large df keeps its precision.
 * Examples: studentTCdf(0, df) = 0.5; studentTCdf(2.228, 10) ≈ 0.9750 (the
 * textbook two-sided 5% critical value); studentTCdf(1, 1) = 0.75 (Cauchy).
 * Throws STATISTICS_INPUT_INVALID for a NaN t or a df that is not a finite positive number.
 */
export function studentTCdf(t: number, df: number): number {
  checkOption(!Number.isNaN(t) && typeof t === 'number', `t must be a number, got ${t}`);
  checkOption(Number.isFinite(df) && df > 0, `degrees of freedom must be a finite number > 0, got ${df}`);
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  if (t === 0) return 0.5;
  const t2 = t * t;
  const twoSidedTail = regularizedIncompleteBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
  return t > 0 ? 1 - twoSidedTail / 2 : twoSidedTail / 2;
}

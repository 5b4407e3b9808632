import { EvaluationError } from '@planner/evaluation';

/** Every refusal of this package: the caller's numbers cannot be computed from (not a verdict on the experiment). */
export function invalid(message: string): never {
  throw new EvaluationError('STATISTICS_INPUT_INVALID', message);
}

export function checkFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${name} must be a finite number, got ${value}`);
}

/** A unit count: whole, at least `minimum` (2 for a sample variance). */
export function checkCount(value: number, name: string, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) invalid(`${name} must be a whole number ≥ ${minimum}, got ${value}`);
}

/**
 * Σ(v − v̄)² from raw sums: Σv² − (Σv)²/n. Rounding in the subtraction can go
 * a little below 0 for an (almost) constant sample, which is clamped to 0; far
 * below 0 the sums cannot come from one sample (a mix-up upstream) and are refused.
 */
export function centeredSquares(sumSquares: number, sum: number, n: number, name: string): number {
  const centered = sumSquares - (sum * sum) / n;
  if (centered >= 0) return centered;
  if (centered < -ROUNDING_TOLERANCE * sumSquares) {
    invalid(`${name}: sum of squares ${sumSquares} is below (sum)²/n = ${(sum * sum) / n}; these sums cannot come from one sample`);
  }
  return 0;
}

/**
 * Relative size of the rounding error Σv² − (Σv)²/n can carry: accumulating n
 * doubles loses up to about n × 1.1e-16 relative, so 1e-9 covers 10⁷ units at
 * worst and far more in practice, while a real inconsistency is of order 1.
 */
export const ROUNDING_TOLERANCE = 1e-9;

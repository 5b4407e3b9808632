import { EvaluationError } from './evaluation-error.ts';

function invalid(message: string): never {
  throw new EvaluationError('STATISTICS_INPUT_INVALID', message);
}

/**
 * A sample the statistics can use: a non-empty array of finite numbers. A NaN
 * would otherwise flow silently into every mean and p-value, so the first one
 * is reported with its index.
 */
export function checkSample(values: readonly number[], name: string, minLength = 1): readonly number[] {
  if (!Array.isArray(values)) invalid(`${name} must be an array of numbers`);
  if (values.length < minLength) {
    invalid(values.length === 0 ? `${name} is empty` : `${name} needs at least ${minLength} values, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${name}[${i}] must be a finite number, got ${value}`);
  }
  return values;
}

/** Two samples paired row by row: the same rows replayed for the candidate and the baseline. */
export function checkPaired(candidate: readonly number[], baseline: readonly number[], minLength = 1): void {
  checkSample(candidate, 'candidate', minLength);
  checkSample(baseline, 'baseline', minLength);
  if (candidate.length !== baseline.length) {
    invalid(`candidate and baseline must be paired row by row, got ${candidate.length} and ${baseline.length} values`);
  }
}

/** Per-row differences candidate − baseline. */
export function differences(candidate: readonly number[], baseline: readonly number[]): number[] {
  return candidate.map((value, i) => value - (baseline[i] as number));
}

export function checkOption(ok: boolean, message: string): void {
  if (!ok) invalid(message);
}

import { checkSample } from './sample-checks.ts';

/** Arithmetic mean. Throws STATISTICS_INPUT_INVALID for an empty sample or a non-finite value. Example: mean([1, 2, 6]) = 3. */
export function mean(values: readonly number[]): number {
  checkSample(values, 'values');
  return sumOf(values) / values.length;
}

/**
 * Sample standard deviation (n − 1 denominator), needing at least 2 values.
 * Two passes — mean first, then squared deviations — because the one-pass
 * Σx² − n·x̄² cancels catastrophically for metrics like latency whose spread
 * is small next to their size. Example: [1, 2, 6]: deviations −2, −1, 3;
 * squares 4 + 1 + 9 = 14; 14 / 2 = 7; √7 ≈ 2.645751.
 */
export function sampleStdDev(values: readonly number[]): number {
  checkSample(values, 'values', 2);
  const m = sumOf(values) / values.length;
  let squares = 0;
  for (const value of values) squares += (value - m) * (value - m);
  return Math.sqrt(squares / (values.length - 1));
}

function sumOf(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

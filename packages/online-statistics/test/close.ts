import assert from 'node:assert/strict';

/** |actual − expected| ≤ tolerance, with both numbers in the message. */
export function close(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

/** The error every refusal of this package throws. */
export const invalidInput = (message: RegExp) => ({ name: 'EvaluationError', code: 'STATISTICS_INPUT_INVALID', message });

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvaluationError } from '../src/evaluation-error.ts';
import { holmAdjust } from '../src/multiple-comparisons.ts';

const closeAll = (actual: number[], expected: number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => {
    assert.ok(Math.abs(value - (expected[i] as number)) < 1e-12, `[${i}] ${value} ≠ ${expected[i]}`);
  });
};

test('the worked example: [0.01, 0.04, 0.03, 0.005] → [0.03, 0.06, 0.06, 0.02]', () => {
  closeAll(holmAdjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
});

test('adjusted values are capped at 1 and monotone in the raw order', () => {
  // Sorted 0.2·3 = 0.6, 0.4·2 = 0.8, 0.9·1 = 0.9; 0.6·3 would be 1.8 → 1.
  closeAll(holmAdjust([0.9, 0.2, 0.4]), [0.9, 0.6, 0.8]);
  closeAll(holmAdjust([0.6, 0.7]), [1, 1]);
  closeAll(holmAdjust([0.02, 0.02, 0.5]), [0.06, 0.06, 0.5]);
  assert.deepEqual(holmAdjust([0.3]), [0.3]);
});

test('empty lists and values that are not probabilities are refused', () => {
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(
      run,
      (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
    );
  refused(() => holmAdjust([]), /pValues is empty/);
  refused(() => holmAdjust([0.1, Number.NaN]), /pValues\[1\] must be a finite number/);
  refused(() => holmAdjust([0.1, 1.2]), /pValues\[1\] must lie in \[0, 1\], got 1.2/);
});

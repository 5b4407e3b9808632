import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mean, sampleStdDev } from '../src/descriptive.ts';
import { EvaluationError } from '../src/evaluation-error.ts';

test('mean and sample standard deviation of [1, 2, 6]: 3 and √7', () => {
  assert.equal(mean([1, 2, 6]), 3);
  assert.ok(Math.abs(sampleStdDev([1, 2, 6]) - Math.sqrt(7)) < 1e-15);
});

test('the standard deviation keeps its precision for large values with a small spread', () => {
  // The one-pass formula returns 0 or garbage here; the spread is exactly that of [1, 2, 6].
  assert.ok(Math.abs(sampleStdDev([1e9 + 1, 1e9 + 2, 1e9 + 6]) - Math.sqrt(7)) < 1e-6);
});

test('empty, too short or non-finite samples are refused, naming the problem', () => {
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(
      run,
      (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
    );
  refused(() => mean([]), /values is empty/);
  refused(() => mean([1, Number.NaN]), /values\[1\] must be a finite number, got NaN/);
  refused(() => sampleStdDev([1]), /at least 2 values, got 1/);
  refused(() => sampleStdDev([1, Number.POSITIVE_INFINITY]), /values\[1\]/);
});

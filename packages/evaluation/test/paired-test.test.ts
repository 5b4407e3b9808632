import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvaluationError } from '../src/evaluation-error.ts';
import { pairedNonInferiorityTest } from '../src/paired-test.ts';

const close = (actual: number | null, expected: number, tolerance = 1e-12) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${actual} differs from ${expected} by more than ${tolerance}`);

/** Closed-form t CDFs for df = 2 and 3: independent of the incomplete beta under test. */
const cdf2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t));
const cdf3 = (t: number) => {
  const u = t / Math.sqrt(3);
  return 0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI;
};

test('the worked example (higher is better, margin 0.05): t ≈ 3.0684, df 3, p ≈ 0.0273', () => {
  const result = pairedNonInferiorityTest([0.8, 0.7, 0.9, 0.6], [0.75, 0.72, 0.8, 0.6], { margin: 0.05, higherIsBetter: true });
  const stdError = Math.sqrt(0.008675 / 3) / 2;
  const t = (0.0325 + 0.05) / stdError;
  assert.equal(result.n, 4);
  assert.equal(result.df, 3);
  close(result.meanDifference, 0.0325);
  close(result.stdError, stdError);
  close(result.t, t, 1e-9);
  close(result.t, 3.0684, 1e-4);
  close(result.pValue, 1 - cdf3(t), 1e-12);
  close(result.pValue, 0.0273, 1e-4);
});

test('lower is better (latency, margin 15 ms): the difference is oriented, meanDifference stays raw', () => {
  // d = baseline − candidate = [0, −10, −20]: mean −10, s = 10, stdError = 10/√3, t = (−10 + 15)/(10/√3) = √3/2.
  const result = pairedNonInferiorityTest([100, 110, 120], [100, 100, 100], { margin: 15, higherIsBetter: false });
  close(result.meanDifference, 10);
  close(result.stdError, 10 / Math.sqrt(3));
  close(result.t, Math.sqrt(3) / 2);
  close(result.pValue, 1 - cdf2(Math.sqrt(3) / 2));
  close(result.pValue, 0.2389, 1e-4);
});

test('a clearly worse candidate cannot reject H0: p near 1', () => {
  const result = pairedNonInferiorityTest([0.5, 0.52, 0.48, 0.5], [0.8, 0.81, 0.79, 0.8], { margin: 0.05, higherIsBetter: true });
  assert.ok(result.pValue > 0.99);
});

test('zero spread: p = 0 above −margin, 1 at or below it; t is null', () => {
  const above = pairedNonInferiorityTest([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], { margin: 0.01, higherIsBetter: true });
  assert.deepEqual(above, { n: 3, meanDifference: 0, stdError: 0, t: null, df: 2, pValue: 0 });
  const below = pairedNonInferiorityTest([1, 1, 1], [3, 3, 3], { margin: 1, higherIsBetter: true });
  assert.equal(below.pValue, 1);
  const atBoundary = pairedNonInferiorityTest([2, 2], [3, 3], { margin: 1, higherIsBetter: true });
  assert.equal(atBoundary.pValue, 1);
  // Lower is better: the candidate 2 units slower with a margin of 3 is within it.
  assert.equal(pairedNonInferiorityTest([5, 5], [3, 3], { margin: 3, higherIsBetter: false }).pValue, 0);
  // Floating-point noise in c − b (0.3 − 0.2 ≠ 0.7 − 0.6 in binary) is still "all equal".
  assert.equal(pairedNonInferiorityTest([0.3, 0.7], [0.2, 0.6], { margin: 0, higherIsBetter: true }).t, null);
});

test('invalid samples and options are refused, naming the problem', () => {
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(
      run,
      (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
    );
  const options = { margin: 0.1, higherIsBetter: true };
  refused(() => pairedNonInferiorityTest([1, 2, 3], [1, 2], options), /paired row by row, got 3 and 2 values/);
  refused(() => pairedNonInferiorityTest([], [], options), /candidate is empty/);
  refused(() => pairedNonInferiorityTest([1], [1], options), /at least 2 values, got 1/);
  refused(() => pairedNonInferiorityTest([1, 2], [1, Number.NaN], options), /baseline\[1\] must be a finite number, got NaN/);
  refused(() => pairedNonInferiorityTest([1, 2], [1, 2], { margin: -0.1, higherIsBetter: true }), /margin must be a finite number ≥ 0/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvaluationError } from '../src/evaluation-error.ts';
import { studentTCdf } from '../src/student-t.ts';

const to4 = (value: number) => Math.round(value * 1e4) / 1e4;
const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} differs from ${expected} by more than ${tolerance}`);

test('textbook critical values to 4 decimals', () => {
  // Upper one-sided tails 0.025 and 0.05 at df = 10.
  assert.equal(to4(1 - studentTCdf(2.228, 10)), 0.025);
  assert.equal(to4(1 - studentTCdf(1.812, 10)), 0.05);
  assert.equal(to4(studentTCdf(-2.228, 10)), 0.025);
  // t_{0.995, 30} = 2.750; t_{0.9, 5} = 1.476.
  assert.equal(to4(studentTCdf(2.75, 30)), 0.995);
  assert.equal(to4(studentTCdf(1.476, 5)), 0.9);
});

test('t = 0 gives 0.5 at any df; infinite t gives 0 or 1', () => {
  for (const df of [1, 2.5, 10, 1e6]) assert.equal(studentTCdf(0, df), 0.5);
  assert.equal(studentTCdf(Number.POSITIVE_INFINITY, 3), 1);
  assert.equal(studentTCdf(Number.NEGATIVE_INFINITY, 3), 0);
});

test('large df approaches the standard normal', () => {
  assert.equal(to4(studentTCdf(1.96, 1e6)), 0.975);
  // Φ(1.96) = 0.9750021048517795; the t correction at df = 1e6 is about 1.4e-7.
  close(studentTCdf(1.96, 1e6), 0.9750021048517795, 5e-7);
  close(studentTCdf(-1.6448536269514722, 1e6), 0.05, 5e-7);
});

test('closed forms for df = 1 (Cauchy), 2 and 3 over a range of t', () => {
  for (const t of [-25, -3, -1, -0.2, 0.2, 1, 3, 25]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI);
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)));
    const u = t / Math.sqrt(3);
    close(studentTCdf(t, 3), 0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI);
  }
});

test('symmetric: F(−t) = 1 − F(t); tiny tails keep their precision', () => {
  for (const [t, df] of [
    [0.7, 4],
    [2.1, 17],
    [5, 2.5],
  ] as const)
    close(studentTCdf(-t, df), 1 - studentTCdf(t, df), 1e-14);
  // df = 1: F(−t) = atan(1/t)/π ≈ 1/(π t) for large t; 1 − F(t) would round this to 0.
  close(studentTCdf(-1e12, 1), 1 / (Math.PI * 1e12), 1e-24);
});

test('NaN t and a non-positive or non-finite df are refused', () => {
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(
      run,
      (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
    );
  refused(() => studentTCdf(Number.NaN, 3), /t must be a number, got NaN/);
  refused(() => studentTCdf(1, 0), /degrees of freedom must be a finite number > 0, got 0/);
  refused(() => studentTCdf(1, Number.POSITIVE_INFINITY), /degrees of freedom/);
});

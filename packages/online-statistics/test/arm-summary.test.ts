import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize } from '../src/arm-summary.ts';
import { close, invalidInput } from './close.ts';

test('mean and n − 1 variance of 1, 2, 3, 4 from their sums', () => {
  // n 4, Σv = 10, Σv² = 1 + 4 + 9 + 16 = 30; mean 2.5; variance (30 − 100/4)/3 = 5/3.
  const summary = summarize({ n: 4, sum: 10, sumSquares: 30 });
  assert.equal(summary.n, 4);
  assert.equal(summary.mean, 2.5);
  close(summary.variance, 5 / 3);
});

test('a Bernoulli arm: 3 accepted plans of 4', () => {
  // Σv = Σv² = 3; mean 0.75; variance (3 − 9/4)/3 = 0.25 (= p(1 − p) · n/(n − 1) = 0.1875 · 4/3).
  const summary = summarize({ n: 4, sum: 3, sumSquares: 3 });
  assert.equal(summary.mean, 0.75);
  close(summary.variance, 0.25);
});

test('a constant sample whose sums round below zero variance gives exactly 0', () => {
  // Five units of 0.3 summed in doubles: Σv = 1.5, Σv² = 0.44999999999999996, so Σv² − (Σv)²/n = −5.55e-17.
  const summary = summarize({ n: 5, sum: 1.5, sumSquares: 0.44999999999999996 });
  assert.equal(summary.variance, 0);
  assert.equal(summary.mean, 0.3);
});

test('sums it cannot summarize are refused', () => {
  assert.throws(() => summarize({ n: 1, sum: 1, sumSquares: 1 }), invalidInput(/n must be a whole number ≥ 2/));
  assert.throws(() => summarize({ n: 2.5, sum: 1, sumSquares: 1 }), invalidInput(/whole number/));
  assert.throws(() => summarize({ n: 4, sum: Number.NaN, sumSquares: 1 }), invalidInput(/sum must be a finite number/));
  assert.throws(() => summarize({ n: 4, sum: 1, sumSquares: -1 }), invalidInput(/sumSquares must be ≥ 0/));
  // Two units summing to 10 have Σv² ≥ 50; Σv² = 1 is no sample at all.
  assert.throws(() => summarize({ n: 2, sum: 10, sumSquares: 1 }), invalidInput(/cannot come from one sample/));
});

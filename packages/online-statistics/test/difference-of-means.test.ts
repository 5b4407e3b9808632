import assert from 'node:assert/strict';
import { test } from 'node:test';
import { differenceOfMeans } from '../src/difference-of-means.ts';
import { close, invalidInput } from './close.ts';

test("Welch's standard error of a difference of means, unequal arms", () => {
  // 3 − 1 = 2; SE = √(2/4 + 5/5) = √1.5 = 1.224744871391589.
  const result = differenceOfMeans({ n: 4, mean: 3, variance: 2 }, { n: 5, mean: 1, variance: 5 });
  assert.equal(result.estimate, 2);
  close(result.standardError, 1.224744871391589);
});

test('treatment minus control, not the other way round', () => {
  // 0.93 − 0.95 = −0.02; SE = √(0.0651/1000 + 0.0475/1000) = √1.126e-4 ≈ 0.010611.
  const result = differenceOfMeans({ n: 1000, mean: 0.93, variance: 0.0651 }, { n: 1000, mean: 0.95, variance: 0.0475 });
  close(result.estimate, -0.02, 1e-15);
  close(result.standardError, Math.sqrt(1.126e-4), 1e-15);
});

test('summaries that cannot come from a sample are refused', () => {
  const ok = { n: 4, mean: 1, variance: 1 };
  assert.throws(() => differenceOfMeans({ n: 1, mean: 1, variance: 0 }, ok), invalidInput(/treatment\.n/));
  assert.throws(() => differenceOfMeans(ok, { n: 4, mean: 1, variance: -0.1 }), invalidInput(/control\.variance must be ≥ 0/));
  assert.throws(() => differenceOfMeans(ok, { n: 4, mean: Number.POSITIVE_INFINITY, variance: 1 }), invalidInput(/control\.mean/));
});

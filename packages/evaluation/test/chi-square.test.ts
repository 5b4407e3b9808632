import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chiSquareGoodnessOfFit } from '../src/chi-square.ts';
import { regularizedUpperGamma } from '../src/special-functions.ts';

const close = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

test('Q(a, x) at the textbook chi-square critical values', () => {
  // df 1: Q(1/2, x/2) = erfc(√(x/2)); 3.8415 and 10.8276 are the 5% and 0.1% critical values.
  close(regularizedUpperGamma(0.5, 3.841458820694124 / 2), 0.05, 1e-12);
  close(regularizedUpperGamma(0.5, 10.827566170662733 / 2), 0.001, 1e-12);
  // df 2: Q(1, x/2) = e^(−x/2) exactly.
  close(regularizedUpperGamma(1, 5.991464547107979 / 2), 0.05, 1e-12);
  // df 3: Q(3/2, x/2) = erfc(√(x/2)) + √(2x/π) e^(−x/2) = 0.05 at 7.8147.
  close(regularizedUpperGamma(1.5, 7.814727903251178 / 2), 0.05, 1e-12);
  assert.equal(regularizedUpperGamma(2, 0), 1);
});

test('a 5% / 95% split: 520 and 9,480 units of 10,000', () => {
  // Expected 500 and 9,500: χ² = 20²/500 + 20²/9500 = 0.8 + 0.042105… = 0.842105…; p = erfc(√0.421053) = 0.358795…
  const result = chiSquareGoodnessOfFit([520, 9480], [0.05, 0.95]);
  close(result.statistic, 0.8421052631578947, 1e-12);
  assert.equal(result.degreesOfFreedom, 1);
  close(result.pValue, 0.3587953578869416, 1e-12);
});

test('a sample-ratio mismatch is flagged; a category that should be empty and is not gives p = 0', () => {
  // 600 of 10,000 at 5%: χ² = 100²/500 + 100²/9500 = 20 + 1.0526… = 21.05…, p ≈ 4.5e-6.
  assert.ok(chiSquareGoodnessOfFit([600, 9400], [0.05, 0.95]).pValue < 1e-5);
  assert.deepEqual(chiSquareGoodnessOfFit([3, 97], [0, 1]), { statistic: Number.POSITIVE_INFINITY, degreesOfFreedom: 1, pValue: 0 });
  assert.equal(chiSquareGoodnessOfFit([0, 100], [0, 1]).pValue, 1);
});

test('inputs the test cannot be computed from are refused', () => {
  assert.throws(() => chiSquareGoodnessOfFit([10], [1]), /≥ 2 categories/);
  assert.throws(() => chiSquareGoodnessOfFit([10, 5], [0.5, 0.4]), /add up to 1/);
  assert.throws(() => chiSquareGoodnessOfFit([10.5, 5], [0.5, 0.5]), /whole numbers/);
  assert.throws(() => chiSquareGoodnessOfFit([0, 0], [0.5, 0.5]), /not all 0/);
});

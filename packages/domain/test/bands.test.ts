import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetBand, costBand, maxPrepBand, prepBand } from '../src/bands.ts';

test('recipe cost bands: < 3 low, < 6 mid, ≥ 6 high (USD per serving)', () => {
  assert.deepEqual([0, 2.99, 3, 5.99, 6, 12].map(costBand), ['low', 'low', 'mid', 'mid', 'high', 'high']);
});

test('recipe prep bands: ≤ 20 quick, ≤ 40 medium, > 40 long', () => {
  assert.deepEqual([5, 20, 21, 40, 41].map(prepBand), ['quick', 'quick', 'medium', 'medium', 'long']);
});

test('a weekly budget is banded per serving over 21 meals', () => {
  // 150 / (3 × 21) = 2.38 per serving → low; 300 / 63 = 4.76 → mid; 378 / 63 = 6.00 → high.
  assert.equal(budgetBand(150, 3), 'low');
  assert.equal(budgetBand(300, 3), 'mid');
  assert.equal(budgetBand(378, 3), 'high');
});

test('a prep ceiling floors to 15, 30, 45 or 60', () => {
  assert.deepEqual([10, 15, 29, 30, 44, 45, 59, 60, 120].map(maxPrepBand), ['15', '15', '15', '30', '30', '45', '45', '60', '60']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cuped } from '../src/cuped.ts';
import { close, invalidInput } from './close.ts';

type Unit = readonly [x: number, y: number];
const moments = (units: readonly Unit[]) => ({
  n: units.length,
  sumY: units.reduce((s, [, y]) => s + y, 0),
  sumY2: units.reduce((s, [, y]) => s + y * y, 0),
  sumX: units.reduce((s, [x]) => s + x, 0),
  sumX2: units.reduce((s, [x]) => s + x * x, 0),
  sumXY: units.reduce((s, [x, y]) => s + x * y, 0),
});

const treatment = moments([
  [1, 2],
  [2, 3],
  [3, 5],
  [4, 6],
]);
const control = moments([
  [2, 1],
  [3, 3],
  [4, 3],
  [5, 5],
]);

test('pooled θ, adjusted means and variances, variance reduction worked by hand', () => {
  // Treatment: mean X 2.5, mean Y 4; S_xx = 2.25 + 0.25 + 0.25 + 2.25 = 5; S_yy = 4 + 1 + 1 + 4 = 10;
  //   S_xy = (−1.5)(−2) + (−0.5)(−1) + (0.5)(1) + (1.5)(2) = 7.
  // Control: mean X 3.5, mean Y 3; S_xx = 5; S_yy = 4 + 0 + 0 + 4 = 8; S_xy = (−1.5)(−2) + 0 + 0 + (1.5)(2) = 6.
  // θ = (7 + 6)/(5 + 5) = 1.3; pooled mean X = (10 + 14)/8 = 3.
  const result = cuped(treatment, control);
  close(result.theta, 1.3);
  // Treatment: 4 − 1.3 · (2.5 − 3) = 4.65; (10 − 2 · 1.3 · 7 + 1.69 · 5)/3 = (10 − 18.2 + 8.45)/3 = 0.25/3.
  assert.equal(result.treatment.n, 4);
  close(result.treatment.mean, 4.65);
  close(result.treatment.variance, 0.25 / 3);
  // Control: 3 − 1.3 · (3.5 − 3) = 2.35; (8 − 2.6 · 6 + 8.45)/3 = 0.85/3.
  close(result.control.mean, 2.35);
  close(result.control.variance, 0.85 / 3);
  // Raw Σ s²/n = (10/3)/4 + (8/3)/4 = 1.5; adjusted (0.25/3)/4 + (0.85/3)/4 = 1.1/12; 1 − (1.1/12)/1.5 = 1 − 1.1/18 = 0.9388889.
  close(result.varianceReduction, 1 - 1.1 / 18);
});

test('the adjusted difference keeps the raw difference when the arms have the same mean X', () => {
  // Same X in both arms (1, 2, 3, 4): mean X = pooled mean X, so no mean shift: 4 − 3.5 stays 0.5.
  const a = moments([
    [1, 2],
    [2, 3],
    [3, 5],
    [4, 6],
  ]);
  const b = moments([
    [1, 2],
    [2, 4],
    [3, 3],
    [4, 5],
  ]);
  const result = cuped(a, b);
  close(result.treatment.mean - result.control.mean, 4 - 3.5);
});

test('X without spread: θ 0, raw arms, no reduction', () => {
  const flat = (units: readonly number[]) => moments(units.map((y) => [7, y] as const));
  // Y 1, 2, 3: mean 2, s² = (1 + 0 + 1)/2 = 1. Y 2, 2, 5: mean 3, s² = (1 + 1 + 4)/2 = 3.
  const result = cuped(flat([1, 2, 3]), flat([2, 2, 5]));
  assert.equal(result.theta, 0);
  assert.deepEqual(result.treatment, { n: 3, mean: 2, variance: 1 });
  close(result.control.variance, 3);
  assert.equal(result.varianceReduction, 0);
});

test('sums that cannot come from one sample are refused', () => {
  assert.throws(() => cuped({ ...treatment, n: 1 }, control), invalidInput(/treatment\.n/));
  assert.throws(() => cuped(treatment, { ...control, sumXY: Number.NaN }), invalidInput(/control\.sumXY/));
  // S_xy = 100 − 10 · 16/4 = 60 > √(5 · 10) ≈ 7.07: sumXY from other units.
  assert.throws(() => cuped({ ...treatment, sumXY: 100 }, control), invalidInput(/exceeds/));
  assert.throws(() => cuped({ ...treatment, sumX2: 1 }, control), invalidInput(/cannot come from one sample/));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logGamma, regularizedIncompleteBeta } from '../src/special-functions.ts';

const close = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} differs from ${expected} by more than ${tolerance}`);

test('logGamma at known points: Γ(1) = Γ(2) = 1, Γ(1/2) = √π, Γ(10) = 9!, Γ(0.1) by reflection', () => {
  close(logGamma(1), 0, 1e-14);
  close(logGamma(2), 0, 1e-14);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14);
  close(logGamma(10), Math.log(362_880), 1e-13);
  // Γ(0.1) = 9.513507698668732 (Abramowitz & Stegun).
  close(logGamma(0.1), Math.log(9.513507698668732), 1e-13);
});

test('incomplete beta closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b', () => {
  close(regularizedIncompleteBeta(0.3, 1, 1), 0.3, 1e-14);
  close(regularizedIncompleteBeta(0.4, 3, 1), 0.4 ** 3, 1e-14);
  close(regularizedIncompleteBeta(0.8, 1, 2.5), 1 - 0.2 ** 2.5, 1e-14);
});

test('incomplete beta symmetry I_x(a, b) = 1 − I_{1−x}(b, a), on both sides of the switch point', () => {
  for (const x of [0.05, 0.3, 0.6, 0.95]) close(regularizedIncompleteBeta(x, 2.5, 4), 1 - regularizedIncompleteBeta(1 - x, 4, 2.5), 1e-13);
});

test('incomplete beta at the ends of [0, 1]; invalid parameters throw', () => {
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), RangeError);
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), RangeError);
  assert.throws(() => logGamma(0), RangeError);
});

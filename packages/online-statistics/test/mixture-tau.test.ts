import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixtureSequentialTest } from '../src/mixture-sequential-test.ts';
import { SUGGESTED_TAU, tauForHorizon } from '../src/mixture-tau.ts';
import { close, invalidInput } from './close.ts';

test('τ for a horizon solves r = 2 ln(1/α) + ln(1 + r)', () => {
  // α 0.05: 2 ln 20 = 5.9914645; r = 8 → 5.9914645 + ln 9 = 8.1887 → … → 8.2119681 (fixed point); √r = 2.8656532.
  close(tauForHorizon(0.01, 0.05), 0.028656531649989072, 1e-12);
  // α 0.01: 2 ln 100 = 9.2103404; r → 11.7563712; √r = 3.4287565.
  close(tauForHorizon(1, 0.01), 3.428756512570617, 1e-12);
});

test('that τ gives the narrowest confidence sequence at that standard error', () => {
  const tau = tauForHorizon(0.01, 0.05);
  const width = (t: number) => mixtureSequentialTest(0, 0.01, { alpha: 0.05, tau: t }).upper;
  assert.ok(width(tau) < width(tau * 0.9));
  assert.ok(width(tau) < width(tau * 1.1));
});

test('the suggested τ for acceptance is 1.5 percentage points, near the horizon τ of ~3,000 units per arm at p 0.95', () => {
  assert.equal(SUGGESTED_TAU.acceptanceRate, 0.015);
  // SE at 3,000 per arm: √(2 · 0.95 · 0.05 / 3000) = 0.0056273; × 2.8656532 = 0.016126.
  close(tauForHorizon(Math.sqrt((2 * 0.95 * 0.05) / 3000), 0.05), 0.016126, 1e-5);
});

test('a horizon it cannot tune for is refused', () => {
  assert.throws(() => tauForHorizon(0, 0.05), invalidInput(/standardError/));
  assert.throws(() => tauForHorizon(0.01, 1.5), invalidInput(/alpha/));
});

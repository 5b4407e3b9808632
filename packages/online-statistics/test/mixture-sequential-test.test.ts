import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SEQUENTIAL, mixtureSequentialTest } from '../src/mixture-sequential-test.ts';
import { close, invalidInput } from './close.ts';

const options = { alpha: 0.05, tau: 0.02 };

test('a weak effect: Λ, p and the confidence sequence worked by hand', () => {
  // V = 0.01² = 1e-4, τ² = 4e-4, V + τ² = 5e-4.
  // Λ = √(1e-4/5e-4) · exp(0.02² · 4e-4 / (2 · 1e-4 · 5e-4)) = √0.2 · e^1.6 = 0.4472136 · 4.9530324 = 2.2150634.
  // p = 1/Λ = 0.4514543. Half-width² = 2 · 1e-4 · 5e-4 / 4e-4 · (ln 20 + ½ ln 5) = 2.5e-4 · (2.9957323 + 0.8047190),
  // half-width = √9.5011283e-4 = 0.0308239; interval 0.02 ± 0.0308239.
  const result = mixtureSequentialTest(0.02, 0.01, options);
  close(result.likelihoodRatio, 2.2150634391416126, 1e-12);
  close(result.logLikelihoodRatio, Math.log(2.2150634391416126), 1e-12);
  close(result.pValue, 0.45145433865655904, 1e-12);
  close(result.lower, -0.010823899938890928, 1e-12);
  close(result.upper, 0.05082389993889093, 1e-12);
  assert.equal(result.estimate, 0.02);
  assert.equal(result.standardError, 0.01);
});

test('a strong effect is significant, and the interval excludes 0; the sign does not matter', () => {
  // estimate 0.05: exponent 0.0025 · 4e-4 / 1e-7 = 10; Λ = √0.2 · e^10 = 0.4472136 · 22026.466 = 9850.535; p = 1.0152e-4.
  // The half-width depends on V only: 0.05 ± 0.0308239 = [0.0191761, 0.0808239].
  const up = mixtureSequentialTest(0.05, 0.01, options);
  close(up.likelihoodRatio, 9850.53496425235, 1e-8);
  close(up.pValue, 0.000101517329122632, 1e-15);
  close(up.lower, 0.019176100061109074, 1e-12);
  close(up.upper, 0.08082389993889093, 1e-12);
  const down = mixtureSequentialTest(-0.05, 0.01, options);
  close(down.pValue, up.pValue, 1e-18);
  close(down.lower, -0.08082389993889093, 1e-12);
  close(down.upper, -0.019176100061109074, 1e-12);
});

test('p = α exactly when 0 sits on the edge of the confidence sequence (the two are one test)', () => {
  const halfWidth = 0.03082389993889093;
  close(mixtureSequentialTest(halfWidth, 0.01, options).pValue, 0.05, 1e-12);
  close(mixtureSequentialTest(-halfWidth, 0.01, options).pValue, 0.05, 1e-12);
  // estimate 0: Λ = √(V/(V+τ²)) < 1, p = 1 (capped), never evidence.
  assert.equal(mixtureSequentialTest(0, 0.01, options).pValue, 1);
});

test('an overwhelming effect keeps a finite log-likelihood ratio and p = 0', () => {
  // estimate/SE = 100: exponent ≈ 100²/2 · τ²/(V+τ²) = 5000 · 0.8 = 4000, e^4000 overflows.
  const result = mixtureSequentialTest(1, 0.01, options);
  assert.equal(result.likelihoodRatio, Number.POSITIVE_INFINITY);
  close(result.logLikelihoodRatio, 0.5 * Math.log(0.2) + 4000, 1e-9);
  assert.equal(result.pValue, 0);
});

test('a standard error of 0 or ∞ carries no information: p 1, interval (−∞, ∞)', () => {
  for (const se of [0, Number.POSITIVE_INFINITY]) {
    const result = mixtureSequentialTest(0.3, se, options);
    assert.deepEqual(
      [result.pValue, result.likelihoodRatio, result.lower, result.upper],
      [1, 1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    );
  }
});

test('the default error rate is 5% over all looks', () => {
  assert.deepEqual(DEFAULT_SEQUENTIAL, { alpha: 0.05 });
  assert.ok(Object.isFrozen(DEFAULT_SEQUENTIAL));
});

test('inputs it cannot test are refused', () => {
  assert.throws(() => mixtureSequentialTest(Number.NaN, 0.01, options), invalidInput(/estimate/));
  assert.throws(() => mixtureSequentialTest(0.1, -0.01, options), invalidInput(/standardError/));
  assert.throws(() => mixtureSequentialTest(0.1, Number.NaN, options), invalidInput(/standardError/));
  assert.throws(() => mixtureSequentialTest(0.1, 0.01, { alpha: 0, tau: 0.02 }), invalidInput(/alpha/));
  assert.throws(() => mixtureSequentialTest(0.1, 0.01, { alpha: 1, tau: 0.02 }), invalidInput(/alpha/));
  assert.throws(() => mixtureSequentialTest(0.1, 0.01, { alpha: 0.05, tau: 0 }), invalidInput(/tau/));
  assert.throws(() => mixtureSequentialTest(0.1, 0.01, { alpha: 0.05, tau: Number.POSITIVE_INFINITY }), invalidInput(/tau/));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sequentialNonInferiority } from '../src/sequential-non-inferiority.ts';
import { close, invalidInput } from './close.ts';

const options = { alpha: 0.05, tau: 0.02 };

test('the verdict reads the confidence sequence against the margin', () => {
  // estimate 0.05, SE 0.01, τ 0.02: sequence 0.05 ± 0.0308239 = [0.0191761, 0.0808239] (see mixture-sequential-test).
  const safe = sequentialNonInferiority(0.05, 0.01, 0.1, options);
  assert.equal(safe.verdict, 'non_inferior'); // upper 0.0808 < 0.1
  assert.equal(safe.margin, 0.1);
  close(safe.lower, 0.019176100061109074, 1e-12);
  close(safe.upper, 0.08082389993889093, 1e-12);
  assert.equal(sequentialNonInferiority(0.05, 0.01, 0.01, options).verdict, 'breached'); // lower 0.0192 > 0.01
  assert.equal(sequentialNonInferiority(0.05, 0.01, 0.03, options).verdict, 'undecided'); // 0.0192 ≤ 0.03 ≤ 0.0808
});

test('an improvement is non-inferior even at margin 0; no information is undecided', () => {
  // −0.05 ± 0.0308239: upper −0.0192 < 0.
  assert.equal(sequentialNonInferiority(-0.05, 0.01, 0, options).verdict, 'non_inferior');
  assert.equal(sequentialNonInferiority(0.05, 0, 0.01, options).verdict, 'undecided');
});

test('a margin it cannot use is refused', () => {
  assert.throws(() => sequentialNonInferiority(0.05, 0.01, -0.01, options), invalidInput(/margin/));
  assert.throws(() => sequentialNonInferiority(0.05, 0.01, Number.NaN, options), invalidInput(/margin/));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SRM_THRESHOLD, sampleRatioMismatch } from '../src/sample-ratio-mismatch.ts';
import { close, invalidInput } from './close.ts';

test('one epoch at 5/95 within the allocation is not a mismatch', () => {
  // Expected 500 and 9,500 of 10,000: χ² = 20²/500 + 20²/9500 = 0.8 + 0.0421053 = 0.8421053; p = erfc(√0.4210526) = 0.3587954.
  const result = sampleRatioMismatch([{ observed: [520, 9480], shares: [0.05, 0.95] }]);
  close(result.statistic, 0.8421052631578947);
  assert.equal(result.degreesOfFreedom, 1);
  close(result.pValue, 0.3587953578869416, 1e-12);
  assert.equal(result.mismatch, false);
});

test('a ramp: statistics and degrees of freedom add over epochs', () => {
  // Epoch 2 at 50/50: [5100, 4900] vs 5000 each: χ² = 100²/5000 · 2 = 4. Total 4.8421053, df 2,
  // p = Q(1, 2.4210526) = e^(−2.4210526) = 0.0888281 (df 2 has an exact exponential tail).
  const epochs = [
    { observed: [520, 9480], shares: [0.05, 0.95] },
    { observed: [5100, 4900], shares: [0.5, 0.5] },
  ];
  const result = sampleRatioMismatch(epochs);
  close(result.statistic, 4.842105263157895, 1e-12);
  assert.equal(result.degreesOfFreedom, 2);
  close(result.pValue, Math.exp(-4.842105263157895 / 2), 1e-12);
  assert.equal(result.mismatch, false);
  // The same evidence against a laxer threshold is a mismatch.
  assert.equal(sampleRatioMismatch(epochs, 0.1).mismatch, true);
});

test('lost treatment exposures are flagged at the default 0.001', () => {
  assert.equal(DEFAULT_SRM_THRESHOLD, 0.001);
  // 400 of 10,000 at 5%: χ² = 100²/500 + 100²/9500 = 20 + 1.0526316 = 21.0526316, p = erfc(√10.5263158) = 4.4683873e-6.
  const result = sampleRatioMismatch([{ observed: [400, 9600], shares: [0.05, 0.95] }]);
  close(result.statistic, 21.05263157894737, 1e-10);
  close(result.pValue, 4.468387345230041e-6, 1e-15);
  assert.equal(result.mismatch, true);
});

test('the threshold is strict and defaults to 0.001: p = 0.0045 passes it but not 0.01', () => {
  // 50/50 of 10,000: [5142, 4858]: χ² = 2 · 142²/5000 = 8.0656; p = erfc(√4.0328) = 0.0045114.
  const epochs = [{ observed: [5142, 4858], shares: [0.5, 0.5] }];
  const result = sampleRatioMismatch(epochs);
  close(result.statistic, 8.0656, 1e-12);
  close(result.pValue, 0.00451135338308465, 1e-12);
  assert.equal(result.mismatch, false);
  assert.equal(sampleRatioMismatch(epochs, 0.01).mismatch, true);
  assert.equal(sampleRatioMismatch(epochs, result.pValue).mismatch, false); // p < threshold, not ≤
});

test('units in a variant that has no share: p 0; epochs with no units add nothing', () => {
  const leaked = sampleRatioMismatch([{ observed: [3, 97], shares: [0, 1] }]);
  assert.deepEqual(leaked, { statistic: Number.POSITIVE_INFINITY, degreesOfFreedom: 1, pValue: 0, mismatch: true });
  const quiet = sampleRatioMismatch([
    { observed: [0, 0], shares: [0.05, 0.95] },
    { observed: [520, 9480], shares: [0.05, 0.95] },
  ]);
  close(quiet.statistic, 0.8421052631578947);
  assert.equal(quiet.degreesOfFreedom, 1);
  assert.deepEqual(sampleRatioMismatch([{ observed: [0, 0], shares: [0.5, 0.5] }]), {
    statistic: 0,
    degreesOfFreedom: 0,
    pValue: 1,
    mismatch: false,
  });
});

test('epochs it cannot check are refused', () => {
  assert.throws(() => sampleRatioMismatch([]), invalidInput(/at least one allocation epoch/));
  assert.throws(() => sampleRatioMismatch([{ observed: [1, 2], shares: [0.5, 0.5] }], 0), invalidInput(/threshold/));
  assert.throws(() => sampleRatioMismatch([{ observed: [0, 0], shares: [1] }]), invalidInput(/2 counts but 1 shares/));
  assert.throws(() => sampleRatioMismatch([{ observed: [5, 5], shares: [0.5, 0.4] }]), invalidInput(/add up to 1/));
});

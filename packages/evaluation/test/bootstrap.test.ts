import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '@planner/domain';
import { bootstrapMeanInterval, pairedBootstrapDifference, percentileInterval, resampledMeans } from '../src/bootstrap.ts';
import { mean, sampleStdDev } from '../src/descriptive.ts';
import { EvaluationError } from '../src/evaluation-error.ts';

const refused = (run: () => unknown, message: RegExp) =>
  assert.throws(
    run,
    (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
  );

test('[0, 1]: resample means are 0, 0.5 or 1, so the 95% interval is [0, 1] around 0.5', () => {
  assert.deepEqual(bootstrapMeanInterval([0, 1], { seed: 7 }), { estimate: 0.5, low: 0, high: 1 });
});

test('percentiles interpolate between order statistics (type 7)', () => {
  const means = Float64Array.from([5, 1, 4, 2, 3]);
  // 50%: quantiles 0.25 and 0.75 → positions 1 and 3 of the sorted [1..5].
  assert.deepEqual(percentileInterval(3, means, 0.5), { estimate: 3, low: 2, high: 4 });
  // 90%: quantiles 0.05 and 0.95 → positions 0.2 and 3.8.
  const wide = percentileInterval(3, means, 0.9);
  assert.ok(Math.abs(wide.low - 1.2) < 1e-12 && Math.abs(wide.high - 4.8) < 1e-12);
});

test('deterministic under the seed; another seed draws other resamples', () => {
  const values = Array.from({ length: 50 }, (_, i) => (i * 37) % 11);
  const a = bootstrapMeanInterval(values, { seed: 42, resamples: 500 });
  assert.deepEqual(bootstrapMeanInterval(values, { seed: 42, resamples: 500 }), a);
  assert.notDeepEqual(bootstrapMeanInterval(values, { seed: 43, resamples: 500 }), a);
  assert.equal(a.estimate, mean(values));
});

test('a constant sample has a zero-width interval', () => {
  assert.deepEqual(bootstrapMeanInterval([0.25, 0.25, 0.25], { seed: 1 }), { estimate: 0.25, low: 0.25, high: 0.25 });
});

test('for a large sample the interval is close to mean ± 1.96 s/√n', () => {
  const random = new SeededRandom(2026);
  const values = Array.from({ length: 400 }, () => random.float());
  const { estimate, low, high } = bootstrapMeanInterval(values, { seed: 9 });
  const half = (1.96 * sampleStdDev(values)) / Math.sqrt(values.length);
  assert.ok(low < estimate && estimate < high);
  assert.ok(Math.abs((high - low) / 2 - half) < 0.1 * half, `half width ${(high - low) / 2} vs ${half}`);
});

test('paired difference: resamples rows, so a constant difference has no spread even when rows vary widely', () => {
  const baseline = [0.1, 0.9, 0.3, 0.7, 0.5];
  const candidate = baseline.map((b) => b + 0.05);
  const paired = pairedBootstrapDifference(candidate, baseline, { seed: 3 });
  assert.ok(Math.abs(paired.estimate - 0.05) < 1e-12);
  assert.ok(paired.high - paired.low < 1e-12);
  const unpaired = bootstrapMeanInterval(candidate, { seed: 3 });
  assert.ok(unpaired.high - unpaired.low > 0.1);
});

test('one index stream for all columns: each column matches its one-column resampling', () => {
  const x = [1, 5, 2, 8, 3];
  const y = [0, 0, 1, 1, 0];
  const [mx, my] = resampledMeans([x, y], 11, 200);
  assert.deepEqual(mx, resampledMeans([x], 11, 200)[0]);
  assert.deepEqual(my, resampledMeans([y], 11, 200)[0]);
});

test('invalid samples and options are refused, naming the problem', () => {
  refused(() => bootstrapMeanInterval([], { seed: 1 }), /values is empty/);
  refused(() => bootstrapMeanInterval([1, Number.NaN], { seed: 1 }), /values\[1\] must be a finite number/);
  refused(() => bootstrapMeanInterval([1], { seed: 1.5 }), /seed must be a safe integer/);
  refused(() => bootstrapMeanInterval([1], { seed: 1, resamples: 0 }), /resamples must be an integer ≥ 1/);
  refused(() => bootstrapMeanInterval([1], { seed: 1, confidence: 1 }), /confidence must lie strictly between 0 and 1/);
  refused(() => pairedBootstrapDifference([1, 2], [1], { seed: 1 }), /paired row by row, got 2 and 1 values/);
  refused(() => pairedBootstrapDifference([], [], { seed: 1 }), /candidate is empty/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramQuantile } from '../src/histogram-quantile.ts';
import { LATENCY_HISTOGRAM } from '../src/latency-histogram.ts';
import { close, invalidInput } from './close.ts';

const { bounds } = LATENCY_HISTOGRAM;
const histogram = (entries: Record<number, number>) => {
  const counts = new Array<number>(LATENCY_HISTOGRAM.buckets).fill(0);
  for (const [bucket, count] of Object.entries(entries)) counts[Number(bucket)] = count;
  return counts;
};

test('interpolated inside the bucket the rank falls in', () => {
  // 30 units in bucket 10 (0.0155152, 0.0162911], 70 in bucket 20 (0.025276, 0.0265401].
  const counts = histogram({ 10: 30, 20: 70 });
  // q 0.5: rank 50, past bucket 10's 30: 0.025276 + (0.0265401 − 0.025276) · 20/70 = 0.025276 + 0.0012641 · 0.2857143 = 0.0256372.
  close(histogramQuantile(counts, 0.5), 0.02563717142857143, 1e-15);
  // q 0.3: rank 30 is exactly bucket 10's cumulative count: its upper bound.
  assert.equal(histogramQuantile(counts, 0.3), bounds[10]);
  // q 0 and 1: the lower end of the first non-empty bucket, the upper end of the last.
  assert.equal(histogramQuantile(counts, 0), bounds[9]);
  assert.equal(histogramQuantile(counts, 1), bounds[20]);
  // q 0.65: rank 65, 35 into bucket 20's 70: its midpoint (0.025276 + 0.0265401)/2.
  close(histogramQuantile(counts, 0.65), (0.025276 + 0.0265401) / 2, 1e-15);
});

test('bucket 0 starts at 0 ms; a quantile in the overflow bucket reads 120,000 ms', () => {
  // 4 units in [0, 0.01]: the median is halfway, 0.005.
  close(histogramQuantile(histogram({ 0: 4 }), 0.5), 0.005, 1e-15);
  const slow = histogram({ 100: 90, 335: 10 });
  assert.equal(histogramQuantile(slow, 0.95), 120_000);
  assert.ok(histogramQuantile(slow, 0.5) <= (bounds[100] as number));
});

test('quantiles it cannot read are refused', () => {
  assert.throws(() => histogramQuantile(histogram({}), 0.5), invalidInput(/empty/));
  assert.throws(() => histogramQuantile(histogram({ 3: 1 }), 1.5), invalidInput(/q must be in \[0, 1\]/));
  assert.throws(() => histogramQuantile([1, 2, 3], 0.5), invalidInput(/336 bucket counts/));
});

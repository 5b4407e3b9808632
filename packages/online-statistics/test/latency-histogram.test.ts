import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_HISTOGRAM, latencyBucket, mergeLatencyCounts } from '../src/latency-histogram.ts';
import { invalidInput } from './close.ts';

const { bounds } = LATENCY_HISTOGRAM;

test('335 log-spaced bounds from 0.01 ms to 120,000 ms, 5% apart, rounded to 6 digits', () => {
  assert.equal(bounds.length, 335);
  assert.equal(LATENCY_HISTOGRAM.buckets, 336); // + the [0, 0.01] bucket's lower end is 0, + overflow
  assert.equal(bounds[0], 0.01);
  // 0.01 · (1.2e7)^(1/334) = 0.01 · e^(16.300417/334) = 0.01 · 1.0500142 → 0.0105001.
  assert.equal(bounds[1], 0.0105001);
  // Halfway in log: 0.01 · √1.2e7 = 0.01 · 3464.1016 = 34.641016 → 34.6410.
  assert.equal(bounds[167], 34.641);
  assert.equal(bounds[334], 120_000);
  for (let i = 1; i < bounds.length; i++) {
    const ratio = (bounds[i] as number) / (bounds[i - 1] as number);
    assert.ok(ratio > 1.04999 && ratio < 1.05003, `bounds ${i - 1} → ${i} grow by ${ratio}`);
  }
  assert.ok(Object.isFrozen(bounds));
});

test('a latency goes to the first bucket whose upper bound holds it', () => {
  assert.equal(latencyBucket(0), 0);
  assert.equal(latencyBucket(0.01), 0); // upper bounds are inclusive
  assert.equal(latencyBucket(0.0100001), 1);
  assert.equal(latencyBucket(0.0105001), 1);
  assert.equal(latencyBucket(0.0105002), 2);
  assert.equal(latencyBucket(34.641), 167);
  assert.equal(latencyBucket(34.6411), 168);
  assert.equal(latencyBucket(120_000), 334);
  assert.equal(latencyBucket(120_000.001), 335); // overflow
  assert.equal(latencyBucket(1e9), 335);
});

test('every bound lands in its own bucket and the next value up in the next one', () => {
  for (const [i, bound] of bounds.entries()) {
    assert.equal(latencyBucket(bound), i);
    assert.equal(latencyBucket(bound * (1 + 1e-9)), i + 1);
  }
});

test('histograms merge by adding counts bucket by bucket', () => {
  const a = new Array<number>(336).fill(0);
  const b = new Array<number>(336).fill(0);
  a[latencyBucket(250)] = 3;
  b[latencyBucket(250)] = 4;
  b[335] = 1;
  const merged = mergeLatencyCounts(a, b);
  assert.equal(merged[latencyBucket(250)], 7);
  assert.equal(merged[335], 1);
  assert.equal(
    merged.reduce((s, c) => s + c, 0),
    8,
  );
  assert.throws(() => mergeLatencyCounts(a, [1, 2, 3]), invalidInput(/336 bucket counts/));
  assert.throws(() => mergeLatencyCounts([...a.slice(1), 0.5]), invalidInput(/whole number/));
});

test('latencies that are not durations are refused', () => {
  for (const bad of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => latencyBucket(bad), invalidInput(/finite number of ms ≥ 0/));
  }
});

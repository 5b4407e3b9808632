import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hallSheatherBandwidth } from '../src/hall-sheather-bandwidth.ts';
import { LATENCY_HISTOGRAM } from '../src/latency-histogram.ts';
import { normalDensity, normalQuantile } from '../src/normal-distribution.ts';
import { quantileStandardError } from '../src/quantile-standard-error.ts';
import { close, invalidInput } from './close.ts';

const histogram = (entries: Record<number, number>) => {
  const counts = new Array<number>(LATENCY_HISTOGRAM.buckets).fill(0);
  for (const [bucket, count] of Object.entries(entries)) counts[Number(bucket)] = count;
  return counts;
};

test('Acklam normal quantiles against the standard values (relative error < 1.2e-9)', () => {
  const reference: Array<[number, number]> = [
    [0.975, 1.959963984540054],
    [0.95, 1.6448536269514715],
    [0.01, -2.3263478740408408],
    [0.001, -3.090232306167813],
    [1e-12, -7.034483825301132],
    [0.7, 0.5244005127080407],
  ];
  for (const [p, z] of reference) close(normalQuantile(p), z, 1.2e-9 * Math.abs(z));
  assert.equal(normalQuantile(0.5), 0);
  close(normalDensity(0), 1 / Math.sqrt(2 * Math.PI), 1e-16);
  assert.throws(() => normalQuantile(0), invalidInput(/p in \(0, 1\)/));
  assert.throws(() => normalQuantile(1), invalidInput(/p in \(0, 1\)/));
});

test('Hall–Sheather bandwidth', () => {
  // n 1000, q 0.5: 1000^(−1/3) · 1.959964^(2/3) · (1.5/(2π))^(1/3) = 0.1 · 1.566145 · 0.620350 = 0.0971559.
  close(hallSheatherBandwidth(1000, 0.5), 0.09715590262051785, 1e-9);
  // n 10,000, q 0.95: z 1.644854, φ 0.103136; (1.5 · 0.0106370 / 6.411081)^(1/3) = 0.135510; 0.0464159 · 1.566145 · 0.135510 = 0.0098512.
  close(hallSheatherBandwidth(10_000, 0.95), 0.009851244664485108, 1e-9);
  assert.throws(() => hallSheatherBandwidth(0, 0.5), invalidInput(/n must be/));
});

test('a window inside one bucket: SE = √(q(1 − q)/n) × the bucket width', () => {
  // 10,000 units in bucket 200 = (165.134, 173.393]: h(10,000, 0.5) = 0.0451 keeps both ends inside it, where x
  // grows by the width 8.259 per unit of q; SE = √(0.25/10,000) · 8.259 = 0.005 · 8.259 = 0.041295.
  close(quantileStandardError(histogram({ 200: 10_000 }), 0.5), 0.041295, 1e-12);
});

test('a window across three buckets of different density', () => {
  // n 1000, q 0.5, h = 0.0971559: q± = 0.4028441, 0.5971559 (ranks 402.8441, 597.1559).
  // 450 units in bucket 180 (62.2204, 65.3323], 100 in 181 (65.3323, 68.5998], 450 in 182 (68.5998, 72.0307].
  // x₋ = 62.2204 + 3.1119 · 402.8441/450 = 65.006201; x₊ = 68.5998 + 3.4309 · (597.1559 − 550)/450 = 68.959327.
  // SE = √(0.25/1000) · (68.959327 − 65.006201)/(2 · 0.0971559) = 0.0158114 · 3.953126/0.1943118 = 0.321671.
  close(quantileStandardError(histogram({ 180: 450, 181: 100, 182: 450 }), 0.5), 0.32167066736209027, 1e-6);
});

test('a window past q = 1 is clamped and the quotient uses the clamped width', () => {
  // n 50, q 0.95: h = 0.0576 > 0.05, so q₊ = 1; still one bucket: SE = √(0.95 · 0.05/50) · 8.259 = 0.0308221 · 8.259 = 0.254559.
  close(quantileStandardError(histogram({ 200: 50 }), 0.95), 0.25455947625260433, 1e-12);
});

test('a window reaching the overflow bucket has no usable density: Infinity', () => {
  const slow = histogram({ 100: 90, 335: 10 });
  assert.equal(quantileStandardError(slow, 0.95), Number.POSITIVE_INFINITY);
  assert.ok(Number.isFinite(quantileStandardError(slow, 0.5)));
});

test('quantiles it cannot give an error for are refused', () => {
  assert.throws(() => quantileStandardError(histogram({}), 0.5), invalidInput(/empty/));
  assert.throws(() => quantileStandardError(histogram({ 3: 10 }), 0), invalidInput(/q must be in \(0, 1\)/));
  assert.throws(() => quantileStandardError(histogram({ 3: 10 }), 1), invalidInput(/q must be in \(0, 1\)/));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashString, hashUnit } from '../src/stable-hash.ts';

test('the hash is a stable unsigned 32-bit value', () => {
  assert.equal(hashString('r-0001'), hashString('r-0001'));
  assert.notEqual(hashString('r-0001'), hashString('r-0002'));
  for (const text of ['', 'a', 'hh-000001|thai']) {
    const h = hashString(text);
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32);
  }
});

test('hashUnit spreads over [0, 1)', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => hashUnit(`id-${i}`));
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SPLIT_SHARES, splitOf } from '../src/dataset-split.ts';

test('a household goes where the first 4 bytes of sha256("<seed>:<id>") put it', () => {
  // Hand-checked: the unit value decides the split at 0.8 and 0.9.
  for (const id of ['h-000001', 'h-000002', 'h-000003', 'h-424242']) {
    const unit = createHash('sha256').update(`7:${id}`).digest().readUInt32BE(0) / 2 ** 32;
    const expected = unit < 0.8 ? 'train' : unit < 0.9 ? 'validation' : 'evaluation';
    assert.equal(splitOf(id, 7), expected, id);
  }
});

test('splits are stable, depend on the seed, and come close to 80/10/10 over many households', () => {
  assert.equal(splitOf('h-1', 42), splitOf('h-1', 42));
  const counts = { train: 0, validation: 0, evaluation: 0 };
  let moved = 0;
  for (let i = 0; i < 20_000; i++) {
    counts[splitOf(`h-${i}`, 42)]++;
    if (splitOf(`h-${i}`, 42) !== splitOf(`h-${i}`, 43)) moved++;
  }
  assert.ok(Math.abs(counts.train / 20_000 - SPLIT_SHARES.train) < 0.01, JSON.stringify(counts));
  assert.ok(Math.abs(counts.validation / 20_000 - SPLIT_SHARES.validation) < 0.01, JSON.stringify(counts));
  assert.ok(moved > 4000, `another seed reshuffles households (${moved} moved)`);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSeed, SeededRandom } from '../src/synthetic/seeded-random.ts';

test('xoshiro128** matches the reference C implementation from state (1, 2, 3, 4)', () => {
  const random = SeededRandom.fromState(1, 2, 3, 4);
  assert.deepEqual(
    Array.from({ length: 5 }, () => random.nextUint32()),
    [11520, 0, 5927040, 70819200, 2031721883],
  );
});

test('the same seed gives the same sequence; another seed another one', () => {
  const draw = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 100 }, () => random.nextUint32());
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  // Seeds beyond 32 bits still count.
  assert.notDeepEqual(draw(2 ** 32 + 42), draw(42));
});

test('derived streams depend only on the seed and their name', () => {
  const a = SeededRandom.derive(7, 'household', 3).nextUint32();
  assert.equal(SeededRandom.derive(7, 'household', 3).nextUint32(), a);
  assert.notEqual(SeededRandom.derive(7, 'household', 4).nextUint32(), a);
  assert.notEqual(SeededRandom.derive(8, 'household', 3).nextUint32(), a);
  assert.notEqual(deriveSeed(7, 'ab', 'c'), deriveSeed(7, 'a', 'bc'));
});

test('float, int, between and chance stay in range and are roughly uniform', () => {
  const random = new SeededRandom(1);
  let sum = 0;
  const counts = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 60_000; i++) {
    const f = random.float();
    assert.ok(f >= 0 && f < 1);
    sum += f;
    const k = random.int(1, 6);
    counts[k - 1] = (counts[k - 1] as number) + 1;
    const b = random.between(3, 4);
    assert.ok(b >= 3 && b < 4);
  }
  assert.ok(Math.abs(sum / 60_000 - 0.5) < 0.01);
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `die face count ${c}`);
  const hits = Array.from({ length: 10_000 }, () => random.chance(0.2)).filter(Boolean).length;
  assert.ok(Math.abs(hits - 2000) < 150);
});

test('weighted picks in proportion; sample picks distinct items', () => {
  const random = new SeededRandom(2);
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < 10_000; i++)
    counts[
      random.weighted([
        ['a', 3],
        ['b', 1],
      ] as const)
    ]++;
  assert.ok(Math.abs(counts.a - 7500) < 250);
  const items = Array.from({ length: 100 }, (_, i) => i);
  for (const n of [0, 5, 60, 100, 150]) {
    const picked = random.sample(items, n);
    assert.equal(picked.length, Math.min(n, 100));
    assert.equal(new Set(picked).size, picked.length);
  }
});

test('uuids are version-4 formatted and reproducible', () => {
  const a = new SeededRandom(9);
  const b = new SeededRandom(9);
  const ids = Array.from({ length: 1000 }, () => a.uuid());
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(b.uuid(), ids[0]);
});

test('log-normal draws centre on the median', () => {
  const random = new SeededRandom(3);
  const draws = Array.from({ length: 10_001 }, () => random.logNormal(35, 0.35)).sort((x, y) => x - y);
  assert.ok(Math.abs((draws[5000] as number) - 35) < 1.5);
  assert.ok(draws.every((d) => d > 0));
});

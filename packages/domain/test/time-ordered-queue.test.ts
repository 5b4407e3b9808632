import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../src/synthetic/seeded-random.ts';
import { TimeOrderedQueue } from '../src/synthetic/time-ordered-queue.ts';

test('items leave by time, equal times in insertion order', () => {
  const queue = new TimeOrderedQueue<string>();
  queue.push(5, 'e');
  queue.push(1, 'a1');
  queue.push(3, 'c');
  queue.push(1, 'a2');
  queue.push(1, 'a3');
  assert.equal(queue.peekTime(), 1);
  const out: string[] = [];
  while (queue.size > 0) out.push(queue.pop());
  assert.deepEqual(out, ['a1', 'a2', 'a3', 'c', 'e']);
  assert.equal(queue.peekTime(), Number.POSITIVE_INFINITY);
  assert.throws(() => queue.pop(), RangeError);
});

test('many random times come out sorted and stable', () => {
  const random = new SeededRandom(5);
  const queue = new TimeOrderedQueue<{ time: number; seq: number }>();
  const pushed = Array.from({ length: 5000 }, (_, seq) => ({ time: random.int(0, 500), seq }));
  for (const item of pushed) queue.push(item.time, item);
  const out: { time: number; seq: number }[] = [];
  while (queue.size > 0) out.push(queue.pop());
  assert.deepEqual(
    out,
    [...pushed].sort((a, b) => a.time - b.time || a.seq - b.seq),
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PollingLoop } from '../src/polling-loop.ts';

test('runs steps back to back while busy, pauses when idle, survives errors, and stops at once', async () => {
  const calls: string[] = [];
  const errors: unknown[] = [];
  let n = 0;
  const loop = new PollingLoop({
    step: async () => {
      n++;
      if (n === 3) throw new Error('boom');
      calls.push(`step ${n}`);
      return n < 2;
    },
    idleMs: 60_000,
    onError: (error) => errors.push(error),
  });
  loop.start();
  await sleep(100);
  // Step 1 was busy, step 2 idle: the loop now waits a minute, so step 3 has not run.
  assert.deepEqual(calls, ['step 1', 'step 2']);
  const stopping = performance.now();
  await loop.stop();
  assert.ok(performance.now() - stopping < 1000, 'stop wakes the idle pause');
  assert.equal(loop.stopping, true);

  const failing = new PollingLoop({ step: async () => Promise.reject(new Error('down')), idleMs: 10, onError: (e) => errors.push(e) });
  failing.start();
  await sleep(60);
  await failing.stop();
  assert.ok(errors.length >= 2, 'errors are reported and the loop goes on');
});

test('a wake during a round skips the next pause: the work that arrived meanwhile is not left for a minute', async () => {
  let rounds = 0;
  let release: () => void = () => undefined;
  const loop = new PollingLoop({
    step: async () => {
      rounds++;
      // The first round holds until the test has woken the loop from inside it.
      if (rounds === 1) await new Promise<void>((resolve) => (release = resolve));
      return false;
    },
    idleMs: 60_000,
    onError: () => undefined,
  });
  loop.start();
  while (rounds < 1) await sleep(5);
  loop.wake();
  release();
  // Without the skipped pause the second round would come a minute later.
  while (rounds < 2) await sleep(5);
  await loop.stop();
  assert.equal(rounds, 2);
});

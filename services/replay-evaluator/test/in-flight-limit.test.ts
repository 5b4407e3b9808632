import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightLimit } from '../src/in-flight-limit.ts';

/** A call that resolves when the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

test('never more than the limit at once, and waiters start in arrival order', async () => {
  const limit = new InFlightLimit(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  let peak = 0;
  const calls = gates.map((g, i) =>
    limit.run(async () => {
      started.push(i);
      peak = Math.max(peak, limit.running);
      await g.opened;
      return i * 10;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1], 'two run, two wait');
  gates[1]?.open();
  await calls[1];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2], 'the first waiter takes the freed slot');
  gates[0]?.open();
  gates[2]?.open();
  gates[3]?.open();
  assert.deepEqual(await Promise.all(calls), [0, 10, 20, 30]);
  assert.deepEqual(started, [0, 1, 2, 3]);
  assert.equal(peak, 2);
  assert.equal(limit.running, 0, 'every slot is given back');
});

test('a failed call gives its slot back and its error to its caller', async () => {
  const limit = new InFlightLimit(1);
  await assert.rejects(
    limit.run(async () => {
      throw new Error('policy server said no');
    }),
    /policy server said no/,
  );
  assert.equal(await limit.run(async () => 'next'), 'next');
  assert.equal(limit.running, 0);
});

test('a limit must be a positive integer', () => {
  assert.throws(() => new InFlightLimit(0), /positive integer, got 0/);
  assert.throws(() => new InFlightLimit(1.5), /positive integer, got 1.5/);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { OutboxRelay } from '../src/outbox-relay.ts';
import type { MessageTransport } from '../src/transport.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('outbox');
});
after(() => f.close());

function request(correlationId: string, requestedBy: string): TopicEvents['dataset.requested'] {
  return f.bus.event(
    TOPIC,
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: requestedBy },
    correlationId,
  );
}

/** Subscribes a fresh group and records, per correlation id, the requested_by of each first delivery, in order. */
async function recordDeliveries(correlationIds: string[]) {
  const order = new Map<string, string[]>(correlationIds.map((id) => [id, []]));
  let duplicates = 0;
  const consumption = await f.bus.subscribe({
    groupId: `g-${randomUUID()}`,
    topic: TOPIC,
    db: f.db,
    handler: async (event) => {
      order.get(event.correlation_id)?.push(event.requested_by);
    },
    afterCommit: (event, { duplicate }) => {
      if (duplicate && order.has(event.correlation_id)) duplicates++;
    },
  });
  return { order, duplicates: () => duplicates, stop: () => consumption.stop() };
}

test('an event staged in a rolled-back transaction never leaves; a committed one does', async () => {
  const correlationId = randomUUID();
  const deliveries = await recordDeliveries([correlationId]);
  const relay = f.bus.relay(f.db, { idleDelayMs: 50 });
  try {
    await assert.rejects(
      f.db.transaction().execute(async (trx) => {
        await f.bus.enqueue(trx, TOPIC, request(correlationId, 'rolled-back'));
        throw new Error('the caller failed after staging');
      }),
      /the caller failed/,
    );
    await f.db.transaction().execute((trx) => f.bus.enqueue(trx, TOPIC, request(correlationId, 'committed')));
    relay.start();
    await eventually('the committed event', async () => (deliveries.order.get(correlationId)?.length ? true : undefined));
    await relay.stop();
    assert.deepEqual(deliveries.order.get(correlationId), ['committed']);
    assert.equal((await relay.backlog()).rows, 0);
  } finally {
    await relay.stop();
    await deliveries.stop();
  }
});

test('a relay that dies after the broker acknowledged a batch loses nothing; per-key order holds across two relays', async () => {
  const keys = [randomUUID(), randomUUID(), randomUUID()];
  const deliveries = await recordDeliveries(keys);
  await f.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 20; i++) for (const key of keys) await f.bus.enqueue(trx, TOPIC, request(key, String(i).padStart(2, '0')));
  });

  // Sends, then "crashes" before deleting the rows: the transaction rolls back and the rows stay.
  const crashing: MessageTransport = {
    ...f.transport,
    send: async (messages) => {
      await f.transport.send(messages);
      throw new Error('relay process died');
    },
    consume: (options) => f.transport.consume(options),
    consumerLag: (groupId, topics) => f.transport.consumerLag(groupId, topics),
    close: () => f.transport.close(),
  };
  const doomed = new OutboxRelay({ db: f.db, transport: crashing, producer: f.bus.producer, batchSize: 10 });
  await assert.rejects(doomed.relayOnce(), /relay process died/);
  assert.ok((await doomed.backlog()).rows >= 60, 'the sent batch is still in the outbox');

  const relays = [f.bus.relay(f.db, { batchSize: 7, idleDelayMs: 20 }), f.bus.relay(f.db, { batchSize: 7, idleDelayMs: 20 })];
  for (const relay of relays) relay.start();
  try {
    await eventually('all sixty events', async () => (keys.every((k) => deliveries.order.get(k)?.length === 20) ? true : undefined));
    const expected = Array.from({ length: 20 }, (_, i) => String(i).padStart(2, '0'));
    for (const key of keys) assert.deepEqual(deliveries.order.get(key), expected, 'each key in the order it was staged, each event once');
    assert.ok(deliveries.duplicates() >= 1, 'the batch sent before the crash came again and was dropped by event id');
    assert.equal((await relays[0]?.backlog())?.rows, 0);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await deliveries.stop();
  }
});

test('a consumer killed between its database commit and its offset commit: nothing lost, nothing doubled', async () => {
  const correlationId = randomUUID();
  const groupId = `g-${correlationId}`;
  const events = ['a', 'b', 'c'].map((tag) => request(correlationId, tag));
  await f.transport.send(events.map((event) => f.bus.message(TOPIC, event)));

  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'crash-after-commit.ts'), groupId, correlationId, f.table], {
    stdio: 'ignore',
  });
  const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL');
  const beforeCrash = await f.effects(correlationId);
  assert.ok(beforeCrash.length >= 1, 'effects committed before the crash');

  const duplicates: string[] = [];
  const consumption = await f.bus.subscribe({
    groupId,
    topic: TOPIC,
    db: f.db,
    handler: async (event, { trx }) => {
      if (event.correlation_id === correlationId)
        await trx.insertInto(f.table).values({ event_id: event.event_id, correlation_id: correlationId }).execute();
    },
    afterCommit: (event, { duplicate }) => {
      if (duplicate && event.correlation_id === correlationId) duplicates.push(event.event_id);
    },
  });
  try {
    await eventually(
      'the uncommitted messages again',
      async () => (duplicates.length + (await f.effects(correlationId)).length - beforeCrash.length >= 3 ? true : undefined),
      60_000,
    );
    assert.deepEqual((await f.effects(correlationId)).sort(), events.map((e) => e.event_id).sort(), 'every event has its effect, once');
    assert.deepEqual(duplicates.sort(), beforeCrash.sort(), 'everything committed before the crash came again and was recognised');
  } finally {
    await consumption.stop();
  }
});

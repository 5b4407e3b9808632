/**
 * An outbox message staged with a partition is sent to that partition; one
 * without goes where its key hashes, as any Kafka client would put it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('outbox_partition');
});
after(() => f.close());

test('a staged partition is where the message lands; without one, the key decides', async () => {
  const own = await ownTopics(f, { topic: TOPIC, partitions: 4 });
  try {
    const event = (by: string): TopicEvents['dataset.requested'] =>
      own.bus.event(
        TOPIC,
        { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-30', split_seed: 1, requested_by: by },
        randomUUID(),
      );
    // All under one key, which hashes to a single partition; three of them name other partitions.
    const placed = [0, 1, 2, 3].map((partition) => ({ partition, event: event(`p${partition}`) }));
    const keyed = event('keyed');
    await f.db.transaction().execute(async (trx) => {
      for (const { partition, event } of placed) await own.bus.enqueue(trx, TOPIC, event, 'one-key', partition);
      await own.bus.enqueue(trx, TOPIC, keyed, 'one-key');
    });
    const relay = own.bus.relay(f.db, { idleDelayMs: 50 });
    relay.start();
    try {
      await eventually('the outbox emptied', async () => ((await relay.backlog()).rows === 0 ? true : undefined));
    } finally {
      await relay.stop();
    }
    const arrived = await own.messages();
    const partitionOf = new Map(
      arrived.map((m) => [(own.bus.registry.decode(TOPIC, m.value as Buffer).value as { event_id: string }).event_id, m.partition]),
    );
    for (const { partition, event } of placed)
      assert.equal(partitionOf.get(event.event_id), partition, `the event staged for ${partition}`);
    // murmur2('one-key') (as in the Java client) is -394,525,249; & 0x7fffffff gives 1,752,958,399, which is 3 mod 4.
    assert.equal(partitionOf.get(keyed.event_id), 3, 'the key decides when no partition is named');
    assert.equal(arrived.length, 5);
  } finally {
    await own.close();
  }
});

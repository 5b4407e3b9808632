import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import type { ParkedMessage } from '../src/outbox-relay.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
/** The test topic's max.message.bytes, and a payload twice that. */
const LIMIT = 100_000;
const TOO_LARGE = 200_000;
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('outbox_parking');
});
after(() => f.close());

test('a message the broker refuses is parked with its reason, and the one behind it still leaves', async () => {
  const own = await ownTopics(f, { topic: TOPIC, maxMessageBytes: LIMIT });
  const correlationId = randomUUID();
  const event = (requestedBy: string): TopicEvents['dataset.requested'] =>
    own.bus.event(
      TOPIC,
      { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: requestedBy },
      correlationId,
    );
  const big = event('b'.repeat(TOO_LARGE));
  const normal = event('normal');
  await f.db.transaction().execute(async (trx) => {
    await own.bus.enqueue(trx, TOPIC, big);
    await own.bus.enqueue(trx, TOPIC, normal);
  });
  const staged = await f.db
    .selectFrom('exp.outbox')
    .select(['id', 'created_at'])
    .where('producer', '=', own.producer)
    .orderBy('id')
    .execute();
  assert.equal(staged.length, 2);

  const parked: ParkedMessage[] = [];
  const errors: unknown[] = [];
  const relay = own.bus.relay(f.db, { idleDelayMs: 50, onParked: (m) => void parked.push(m), onError: (e) => void errors.push(e) });
  relay.start();
  try {
    await eventually('the outbox emptied', async () => ((await relay.backlog()).rows === 0 ? true : undefined));
  } finally {
    await relay.stop();
  }
  try {
    assert.deepEqual(errors, [], 'a refusal is not a relay error');
    const arrived = await own.messages();
    assert.deepEqual(
      arrived.map((m) => (own.bus.registry.decode(TOPIC, m.value as Buffer).value as { event_id: string }).event_id),
      [normal.event_id],
      'the normal event reached the topic, the refused one did not',
    );

    const rows = await f.db.selectFrom('exp.outbox_parked').selectAll().where('producer', '=', own.producer).execute();
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.id, staged[0]?.id, 'parked under its outbox id');
    assert.equal(row?.topic, TOPIC);
    assert.equal(row?.message_key, correlationId);
    assert.equal(row?.error_code, 'MESSAGE_REFUSED');
    assert.match(row?.error_message ?? '', /MESSAGE_TOO_LARGE/);
    assert.deepEqual(row?.created_at, staged[0]?.created_at, 'when it was staged is kept');
    assert.ok(row?.payload.equals(own.bus.message(TOPIC, big).value), 'the payload is kept byte for byte');
    assert.equal((await relay.backlog()).rows, 0, 'the outbox is empty');

    assert.equal(parked.length, 1);
    assert.equal(parked[0]?.id, staged[0]?.id);
    assert.equal(parked[0]?.topic, TOPIC);
    assert.ok((parked[0]?.bytes ?? 0) > TOO_LARGE);
    assert.equal(await own.metric('planner_bus_outbox_parked_total', { producer: own.producer, topic: TOPIC }), 1);
    assert.equal(
      await own.metric('planner_bus_messages_produced_total', { topic: TOPIC }),
      1,
      'only the acknowledged one counts as produced',
    );
    assert.equal(await relay.relayOnce(), 0, 'nothing left to send or park');
  } finally {
    await f.db.deleteFrom('exp.outbox_parked').where('producer', '=', own.producer).execute();
    await own.close();
  }
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { DLT_HEADER } from '../src/headers.ts';
import type { OutgoingMessage } from '../src/transport.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
/** Taken by the test's topic (max.message.bytes 2,000,000), refused by its dead-letter topic (1,000,000). */
const OVERSIZED = 1_500_000;
let f: Awaited<ReturnType<typeof busFixture>>;
let own: Awaited<ReturnType<typeof ownTopics>>;
before(async () => {
  f = await busFixture('poison');
  own = await ownTopics(f, { topic: TOPIC, partitions: 3, maxMessageBytes: 2_000_000, dltMaxMessageBytes: 1_000_000 });
});
after(async () => {
  await own.close();
  await f.close();
});

function request(run: number, i: number, correlationId = `poison-run-${run}`): TopicEvents['dataset.requested'] {
  return own.bus.event(
    TOPIC,
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: i, requested_by: `poison-${i}` },
    correlationId,
  );
}

interface Poison {
  message: OutgoingMessage;
  code: string;
}

/** Each bad message has a key of its own, which its dead letter keeps: that is how a letter is matched to its original. */
function poison(key: string, value: Buffer, code: string, headers: Record<string, string> = {}): Poison {
  return { message: { topic: TOPIC, key, value, headers }, code };
}

test('every bad message is dead-lettered once with its reason, every good one handled once, and a redelivery changes nothing', async () => {
  const valid = Array.from({ length: 1000 }, (_, i) => request(i % 20, i));
  const good = valid.map((event) => own.bus.message(TOPIC, event));
  const bad: Poison[] = [];
  for (let i = 0; i < 10; i++) {
    const original = good[i * 29] as OutgoingMessage;
    bad.push(poison(`truncated-${i}`, original.value.subarray(0, original.value.length - 1), 'WIRE_BODY_INVALID', original.headers));
    bad.push(poison(`extended-${i}`, Buffer.concat([original.value, randomBytes(5)]), 'WIRE_BODY_INVALID', original.headers));
  }
  for (let i = 0; i < 5; i++) {
    // Random bytes that do not open with the single-object marker (C3 01).
    const bytes = randomBytes(64 + i * 100);
    bytes[0] = 0x7b;
    bad.push(poison(`random-${i}`, bytes, 'WIRE_BAD_MAGIC'));
  }
  // Shorter than the 10-byte single-object header.
  bad.push(poison('random-short', randomBytes(6), 'WIRE_TRUNCATED'));
  bad.push(poison('empty', Buffer.alloc(0), 'MESSAGE_EMPTY'));
  // A well-formed event whose correlation id is 1.5 MB: the broker takes it, the envelope check refuses it,
  // and its dead-letter copy is too large for the dead-letter topic.
  const huge = request(0, 9999, 'x'.repeat(OVERSIZED));
  const oversizedHeaders = { 'event-id': huge.event_id, 'correlation-id': 'oversized', 'origin-note': 'hand-made' };
  const oversized = poison('oversized', own.bus.registry.encode(TOPIC, huge), 'EVENT_ENVELOPE_INVALID', oversizedHeaders);
  assert.ok(oversized.message.value.length > OVERSIZED);

  // Bad messages spread through the good ones, in several requests; the oversized one alone, half-way.
  const mixed: OutgoingMessage[] = [];
  const spacing = Math.floor(good.length / bad.length);
  for (const [i, message] of good.entries()) {
    mixed.push(message);
    const intruder = i % spacing === 0 ? bad[i / spacing] : undefined;
    if (intruder) mixed.push(intruder.message);
  }
  assert.equal(mixed.length, good.length + bad.length);

  const groupId = `g-poison-${own.namespace}`;
  const handled = new Map<string, number>();
  let duplicates = 0;
  const subscribe = () =>
    own.bus.subscribe({
      groupId,
      topic: TOPIC,
      db: f.db,
      handler: async (event, { trx }) => {
        handled.set(event.event_id, (handled.get(event.event_id) ?? 0) + 1);
        await trx.insertInto(f.table).values({ event_id: event.event_id, correlation_id: event.correlation_id }).execute();
      },
      afterCommit: (_event, { duplicate }) => {
        if (duplicate) duplicates++;
      },
    });

  let consumption = await subscribe();
  try {
    for (let i = 0; i < mixed.length; i += 40) {
      await own.transport.send(mixed.slice(i, i + 40));
      if (i === 160) await own.transport.send([oversized.message]);
    }
    const letters = bad.length + 1;
    await eventually('every good event handled', async () => (handled.size === valid.length ? true : undefined));
    await eventually(`${letters} dead letters`, async () => ((await own.count(`${TOPIC}.dlt`)) >= letters ? true : undefined));

    assert.deepEqual(
      [...handled.values()].filter((n) => n !== 1),
      [],
      'each good event handled exactly once',
    );
    assert.deepEqual(new Set(handled.keys()), new Set(valid.map((e) => e.event_id)));
    const effects = await f.db.selectFrom(f.table).select('event_id').execute();
    assert.equal(effects.length, valid.length, 'one committed effect per good event');

    const dead = await own.deadLetters();
    assert.equal(dead.length, letters, 'each bad message dead-lettered once, nothing else');
    const positions = new Set(dead.map((m) => `${m.headers[DLT_HEADER.originalPartition]}/${m.headers[DLT_HEADER.originalOffset]}`));
    assert.equal(positions.size, letters, 'one letter per original position');
    const byKey = new Map(dead.map((m) => [m.key?.toString() ?? '', m]));
    for (const { message, code } of [...bad, oversized]) {
      const letter = byKey.get(message.key ?? '');
      assert.ok(letter, `a letter for ${message.key}`);
      assert.equal(letter.headers[DLT_HEADER.errorCode], code, `${message.key}: ${letter.headers[DLT_HEADER.errorMessage]}`);
      assert.equal(letter.headers[DLT_HEADER.originalTopic], TOPIC);
      assert.equal(letter.headers[DLT_HEADER.consumerGroup], groupId);
      assert.equal(letter.headers[DLT_HEADER.attempts], '0', 'a message that does not decode is never handled');
      if (message === oversized.message) continue;
      assert.equal(letter.headers[DLT_HEADER.valueOmitted], undefined);
      assert.deepEqual(letter.value ?? Buffer.alloc(0), message.value, `${message.key}: the original bytes are kept`);
      for (const [name, value] of Object.entries(message.headers))
        assert.equal(letter.headers[name], value, `${message.key}: header ${name}`);
    }

    const record = byKey.get('oversized');
    assert.ok(record);
    assert.equal(record.headers[DLT_HEADER.valueOmitted], 'true');
    assert.equal(record.value?.length ?? 0, 0, 'the record carries no value');
    assert.equal(record.headers[DLT_HEADER.originalSha256], createHash('sha256').update(oversized.message.value).digest('hex'));
    // The size counts the value and the original headers (as the broker would have had to take them again).
    assert.equal(record.headers[DLT_HEADER.originalSize], String(oversized.message.value.length));
    assert.equal(record.headers[DLT_HEADER.originalHead], oversized.message.value.subarray(0, 64).toString('hex'));
    assert.match(record.headers[DLT_HEADER.copyRefused] ?? '', /MESSAGE_TOO_LARGE/);
    assert.match(record.headers[DLT_HEADER.errorMessage] ?? '', /^correlation_id has 1500000 characters; at most 128 are allowed$/);

    assert.equal(await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'dead_lettered' }), letters);
    assert.equal(await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'processed' }), valid.length);

    // The same group reads everything again from the start, as after a lost offset commit.
    await consumption.stop();
    const partitions = [0, 1, 2].map((partition) => ({ partition, offset: '0' }));
    await own.transport.setGroupOffsets(groupId, TOPIC, partitions);
    consumption = await subscribe();
    const everything = valid.length + letters;
    await eventually('everything seen again', async () =>
      (await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'duplicate' })) >= everything ? true : undefined,
    );
    assert.equal(duplicates, valid.length, 'every good event recognised by its id');
    assert.deepEqual(
      [...handled.values()].filter((n) => n !== 1),
      [],
      'no handler ran again',
    );
    assert.equal(await own.count(`${TOPIC}.dlt`), letters, 'no letter sent again');
    assert.equal(await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'dead_lettered' }), letters);
    assert.equal((await f.db.selectFrom(f.table).select('event_id').execute()).length, valid.length);
  } finally {
    await consumption.stop();
  }
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { EventRejected } from '../src/bus-error.ts';
import { DLT_HEADER, HEADER } from '../src/headers.ts';
import { busFixture, eventually, watchDeadLetters } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
let f: Awaited<ReturnType<typeof busFixture>>;
// Topics of this file's own namespace: a test file running beside this one must not read, dead-letter or add to them.
let own: Awaited<ReturnType<typeof ownTopics>>;
before(async () => {
  f = await busFixture('event_bus');
  own = await ownTopics(f, { topic: TOPIC, partitions: 3 });
});
after(async () => {
  await own.close();
  await f.close();
});

function request(correlationId: string, requestedBy = 'bus-test'): TopicEvents['dataset.requested'] {
  return f.bus.event(
    TOPIC,
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: requestedBy },
    correlationId,
  );
}

test('an event published through the bus reaches a subscriber typed, with its headers, and its effect is recorded once', async () => {
  const correlationId = randomUUID();
  const event = request(correlationId);
  const headers: Record<string, string>[] = [];
  const values: Buffer[] = [];
  const consumption = await own.bus.subscribe({
    groupId: `g-${correlationId}`,
    topic: TOPIC,
    db: f.db,
    handler: async (received, { trx, message }) => {
      if (received.correlation_id !== correlationId) return;
      headers.push(message.headers);
      if (message.value) values.push(message.value);
      assert.equal(received.model_name, 'planner');
      await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: correlationId }).execute();
    },
  });
  try {
    await own.bus.publish(TOPIC, event);
    await eventually('the effect', async () => ((await f.effects(correlationId)).length === 1 ? true : undefined));
    // Only what is needed before decoding (no trace is active here, so no traceparent); the rest is in the value.
    assert.deepEqual(headers[0], { [HEADER.contentType]: 'application/vnd.apache.avro.single-object' });
    const single = values[0] as Buffer;
    assert.equal(single.subarray(0, 2).toString('hex'), 'c301', 'an Avro single-object value');
    assert.equal(single.subarray(2, 10).toString('hex'), own.bus.registry.latest(TOPIC).fingerprintHex, "the schema's fingerprint");
  } finally {
    await consumption.stop();
  }
});

test('a redelivered event changes nothing: the handler effect exists once', async () => {
  const correlationId = randomUUID();
  const event = request(correlationId);
  const outcomes: boolean[] = [];
  const consumption = await own.bus.subscribe({
    groupId: `g-${correlationId}`,
    topic: TOPIC,
    db: f.db,
    handler: async (received, { trx }) => {
      if (received.correlation_id === correlationId) {
        await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: correlationId }).execute();
      }
    },
    afterCommit: (received, { duplicate }) => {
      if (received.correlation_id === correlationId) outcomes.push(duplicate);
    },
  });
  try {
    await own.bus.publish(TOPIC, event);
    await own.bus.publish(TOPIC, event);
    await eventually('both deliveries', async () => (outcomes.length === 2 ? true : undefined));
    assert.deepEqual(outcomes, [false, true]);
    assert.deepEqual(await f.effects(correlationId), [event.event_id]);
  } finally {
    await consumption.stop();
  }
});

test('poison messages go to the dead-letter topic with their origin and reason, and the partition keeps flowing', async () => {
  const correlationId = randomUUID();
  const dead = await watchDeadLetters(own, TOPIC, correlationId);
  const processed: string[] = [];
  const consumption = await own.bus.subscribe({
    groupId: `g-${correlationId}`,
    topic: TOPIC,
    db: f.db,
    handler: async (received) => {
      if (received.correlation_id === correlationId) processed.push(received.event_id);
    },
  });
  try {
    const wrongSchema = own.bus.message(
      'model.rejected',
      f.bus.event('model.rejected', { run_id: 'r', model_name: 'm', dataset_version: null, missing: [] }, correlationId),
    );
    const good = request(correlationId);
    await own.transport.send([
      { topic: TOPIC, key: correlationId, value: Buffer.from('{"not":"avro"}'), headers: { 'correlation-id': correlationId } },
      { ...wrongSchema, topic: TOPIC },
      own.bus.message(TOPIC, good),
    ]);
    await eventually('the good event', async () => (processed.length === 1 ? true : undefined));
    assert.deepEqual(processed, [good.event_id]);
    await eventually('two dead letters', async () => (dead.seen.length === 2 ? true : undefined));
    const [first, second] = dead.seen;
    assert.equal(first?.headers[DLT_HEADER.errorCode], 'WIRE_BAD_MAGIC');
    assert.equal(second?.headers[DLT_HEADER.errorCode], 'SCHEMA_UNKNOWN_FINGERPRINT');
    assert.match(second?.headers[DLT_HEADER.errorMessage] ?? '', /it is model\.rejected v1/);
    for (const message of [first, second]) {
      assert.equal(message?.headers[DLT_HEADER.originalTopic], TOPIC);
      assert.equal(message?.headers[DLT_HEADER.consumerGroup], `g-${correlationId}`);
      assert.match(message?.headers[DLT_HEADER.originalPartition] ?? '', /^\d+$/);
      assert.match(message?.headers[DLT_HEADER.originalOffset] ?? '', /^\d+$/);
      assert.match(message?.headers[DLT_HEADER.originalTimestamp] ?? '', /^\d+$/);
    }
    assert.equal(first?.value?.toString(), '{"not":"avro"}', 'the original bytes are kept');
  } finally {
    await Promise.all([consumption.stop(), dead.stop()]);
  }
});

test('a failing handler is retried with backoff, then dead-lettered; a rejected event is dead-lettered at once', async () => {
  const correlationId = randomUUID();
  const dead = await watchDeadLetters(own, TOPIC, correlationId);
  const calls = new Map<string, number>();
  const flaky = request(correlationId, 'always-fails');
  const rejected = request(correlationId, 'rejected');
  const fine = request(correlationId, 'fine');
  const consumption = await own.bus.subscribe({
    groupId: `g-${correlationId}`,
    topic: TOPIC,
    db: f.db,
    retry: { attempts: 3, baseDelayMs: 50 },
    handler: async (received, { trx }) => {
      if (received.correlation_id !== correlationId) return;
      calls.set(received.requested_by, (calls.get(received.requested_by) ?? 0) + 1);
      // Written before failing: the rollback must undo it.
      await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: correlationId }).execute();
      if (received.requested_by === 'always-fails') throw new Error('model store unavailable');
      if (received.requested_by === 'rejected') throw new EventRejected('METADATA_MISSING', 'experiment_id is required');
    },
  });
  try {
    await own.transport.send([own.bus.message(TOPIC, flaky), own.bus.message(TOPIC, rejected), own.bus.message(TOPIC, fine)]);
    await eventually('two dead letters', async () => (dead.seen.length === 2 ? true : undefined));
    await eventually('the fine event', async () => ((await f.effects(correlationId)).length === 1 ? true : undefined));
    // One try when the batch is handled together, then three on its own.
    assert.ok((calls.get('always-fails') ?? 0) >= 3);
    assert.ok((calls.get('rejected') ?? 0) <= 2, 'a rejected event is not retried on its own');
    assert.deepEqual(await f.effects(correlationId), [fine.event_id], 'failed attempts left no effects');
    const [retried, refused] = dead.seen;
    assert.equal(retried?.headers[DLT_HEADER.errorCode], 'HANDLER_FAILED');
    assert.equal(retried?.headers[DLT_HEADER.errorMessage], 'model store unavailable');
    assert.equal(retried?.headers[DLT_HEADER.attempts], '3');
    assert.equal(retried?.headers[DLT_HEADER.eventId], flaky.event_id, 'a letter that decoded names its event');
    assert.equal(refused?.headers[DLT_HEADER.errorCode], 'METADATA_MISSING');
    assert.equal(refused?.headers[DLT_HEADER.attempts], '1');
  } finally {
    await Promise.all([consumption.stop(), dead.stop()]);
  }
});

test('stopping a consumer finishes the message in hand, commits its offset and leaves the group', async () => {
  const correlationId = randomUUID();
  const groupId = `g-${correlationId}`;
  let started: () => void = () => undefined;
  const handling = new Promise<void>((resolve) => {
    started = resolve;
  });
  const consumption = await own.bus.subscribe({
    groupId,
    topic: TOPIC,
    db: f.db,
    fromBeginning: false,
    handler: async (received, { trx }) => {
      if (received.correlation_id !== correlationId) return;
      started();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: correlationId }).execute();
    },
  });
  const event = request(correlationId);
  await own.bus.publish(TOPIC, event);
  await handling;
  await consumption.stop();

  assert.deepEqual(await f.effects(correlationId), [event.event_id], 'the in-flight handler finished before stop() returned');
  assert.deepEqual(await own.transport.groupState(groupId), { state: 'Empty', members: 0 });
  const lag = await own.transport.consumerLag(groupId, [TOPIC]);
  assert.ok(lag.length > 0 && lag.every((row) => row.lag === 0), `offsets committed on the way out: ${JSON.stringify(lag)}`);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodedError } from '@planner/errors';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { EventRejected } from '../src/bus-error.ts';
import { DLT_HEADER } from '../src/headers.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('transient');
});
after(() => f.close());

/** What a handler throws when a dependency it calls (a policy server, MLflow) does not answer. */
class DependencyDown extends CodedError<'POLICY_SERVER_DOWN'> {
  constructor() {
    super('POLICY_SERVER_DOWN', 'policy server did not answer', { retryable: true });
  }
}

function request(bus: Awaited<ReturnType<typeof ownTopics>>['bus'], requestedBy: string): TopicEvents['dataset.requested'] {
  return bus.event(
    TOPIC,
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: requestedBy },
    `transient-${requestedBy}`,
  );
}

test('a handler failing on an unavailable dependency for ~2 s is retried until it succeeds: processed once, nothing dead-lettered', async () => {
  const own = await ownTopics(f, { topic: TOPIC });
  const event = request(own.bus, 'recovers');
  let firstCall: number | undefined;
  let calls = 0;
  const outcomes: boolean[] = [];
  const consumption = await own.bus.subscribe({
    groupId: `g-${own.namespace}`,
    topic: TOPIC,
    db: f.db,
    retry: { transientBudgetMs: 30_000, baseDelayMs: 50 },
    handler: async (received, { trx }) => {
      calls++;
      firstCall ??= Date.now();
      // Written before failing: each rolled-back attempt must leave nothing.
      await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: received.correlation_id }).execute();
      if (Date.now() - firstCall < 2000) throw new DependencyDown();
    },
    afterCommit: (_received, { duplicate }) => void outcomes.push(duplicate),
  });
  try {
    await own.bus.publish(TOPIC, event);
    await eventually('the event processed', async () => (outcomes.length > 0 ? true : undefined));
    assert.deepEqual(outcomes, [false], 'processed once, as new');
    assert.ok(calls >= 3, `retried while the dependency was away (${calls} calls)`);
    assert.deepEqual(await f.effects(event.correlation_id), [event.event_id], 'one effect: the failed attempts rolled back');
    assert.equal(await own.count(`${TOPIC}.dlt`), 0, 'nothing dead-lettered');
    assert.ok((await own.metric('planner_bus_dependency_waits_total', { topic: TOPIC })) >= 1, 'the waits are counted');
    assert.equal(await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'dead_lettered' }), 0);
  } finally {
    await consumption.stop();
    await own.close();
  }
});

test('a handler still failing on an unavailable dependency after the budget is dead-lettered once, the budget named', async () => {
  const own = await ownTopics(f, { topic: TOPIC });
  const groupId = `g-${own.namespace}`;
  const event = request(own.bus, 'never-recovers');
  let calls = 0;
  let firstCall = 0;
  let deadLetteredAt = 0;
  const letters: { code: string; message: string; attempts: number }[] = [];
  const consumption = await own.bus.subscribe({
    groupId,
    topic: TOPIC,
    db: f.db,
    retry: { transientBudgetMs: 1500, baseDelayMs: 50 },
    handler: async () => {
      calls++;
      firstCall ||= Date.now();
      throw new DependencyDown();
    },
    onDeadLetter: (_message, error) => {
      deadLetteredAt = Date.now();
      letters.push(error);
    },
  });
  try {
    await own.bus.publish(TOPIC, event);
    await eventually('the dead letter', async () => (letters.length > 0 ? true : undefined));
    assert.ok(deadLetteredAt - firstCall >= 1500, `retried for the budget first (${deadLetteredAt - firstCall} ms)`);
    assert.ok(calls >= 3, `${calls} calls`);
    assert.equal(await own.count(`${TOPIC}.dlt`), 1);
    const [letter] = await own.deadLetters();
    assert.equal(letter?.headers[DLT_HEADER.errorCode], 'POLICY_SERVER_DOWN');
    assert.match(
      letter?.headers[DLT_HEADER.errorMessage] ?? '',
      /^policy server did not answer \(still failing after the 1\.5 s budget for unavailable dependencies\)$/,
    );
    assert.ok(Number(letter?.headers[DLT_HEADER.attempts]) >= 2, 'the attempts are counted');
    assert.equal(letter?.headers[DLT_HEADER.eventId], event.event_id);
    assert.deepEqual(await f.effects(event.correlation_id), []);
    assert.equal(await own.metric('planner_bus_dead_lettered_total', { topic: TOPIC, code: 'POLICY_SERVER_DOWN' }), 1);
  } finally {
    await consumption.stop();
    await own.close();
  }
});

test('an event its handler got dead-lettered is neither handled nor dead-lettered again when redelivered to the group', async () => {
  const own = await ownTopics(f, { topic: TOPIC });
  const groupId = `g-${own.namespace}`;
  const rejected = request(own.bus, 'rejected');
  const outOfBudget = request(own.bus, 'out-of-budget');
  const letters: string[] = [];
  const first = await own.bus.subscribe({
    groupId,
    topic: TOPIC,
    db: f.db,
    retry: { transientBudgetMs: 300, baseDelayMs: 50 },
    handler: async (received) => {
      if (received.requested_by === 'rejected') throw new EventRejected('METADATA_MISSING', 'experiment_id is required');
      throw new DependencyDown();
    },
    onDeadLetter: (message) => void letters.push(message.offset),
  });
  try {
    await own.transport.send([own.bus.message(TOPIC, rejected), own.bus.message(TOPIC, outOfBudget)]);
    await eventually('both dead-lettered', async () => (letters.length === 2 ? true : undefined));
  } finally {
    await first.stop();
  }

  // The same group reads both again (its offsets lost), and now the handler would succeed: the events were
  // dead-lettered at these positions, so they are not handled again (idempotent-consumer.ts: "Dead-lettered at
  // this position before (then redelivered): it is not handled or sent again").
  await own.transport.setGroupOffsets(groupId, TOPIC, [{ partition: 0, offset: '0' }]);
  const handledAgain: string[] = [];
  const again = await own.bus.subscribe({
    groupId,
    topic: TOPIC,
    db: f.db,
    handler: async (received, { trx }) => {
      handledAgain.push(received.requested_by);
      await trx.insertInto(f.table).values({ event_id: received.event_id, correlation_id: received.correlation_id }).execute();
    },
  });
  try {
    const consumed = async () =>
      (await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'processed' })) +
      (await own.metric('planner_bus_messages_consumed_total', { topic: TOPIC, outcome: 'duplicate' }));
    await eventually('both seen again', async () => ((await consumed()) >= 2 ? true : undefined));
    assert.equal(await own.count(`${TOPIC}.dlt`), 2, 'not dead-lettered again');
    const effects = [...(await f.effects(rejected.correlation_id)), ...(await f.effects(outOfBudget.correlation_id))];
    assert.deepEqual(
      { handledAgain, effects },
      { handledAgain: [], effects: [] },
      'a dead-lettered event is not handled again on redelivery, and leaves no effect',
    );
  } finally {
    await again.stop();
    await own.close();
  }
});

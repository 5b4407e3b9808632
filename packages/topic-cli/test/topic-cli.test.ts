import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DLT_HEADER, EventRejected, type IncomingMessage, KafkajsTransport, type OutgoingMessage } from '@planner/bus';
import type { TopicEvents } from '@planner/schemas';
import { useStack } from '../../../tests/support/stack.ts';
import { busFixture, eventually } from '../../bus/test/fixtures/bus-fixture.ts';

useStack('kafka', 'postgres');
const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
const TOPIC = 'model.registered';
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('topic_cli');
});
after(() => f.close());

function topics(...args: string[]) {
  return topicsIn('', args);
}

/** The CLI with KAFKA_NAMESPACE set: it sees only that namespace's topics and groups. */
function topicsIn(namespace: string, args: string[]) {
  const env = { ...process.env, KAFKA_NAMESPACE: namespace };
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env });
  const lines = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: run.status, lines, stderr: run.stderr.trim() };
}

function registered(correlationId: string, version: string, policyId: string | null = 'planner_policy'): TopicEvents['model.registered'] {
  return f.bus.event(
    TOPIC,
    {
      model_name: 'planner_model',
      model_version: version,
      model_uri: `models:/planner_model/${version}`,
      run_id: 'r'.repeat(32),
      dataset_version: 'planner/2026-11-26',
      policy_id: policyId,
      registered_outside_pipeline: false,
    },
    correlationId,
  );
}

const ofRun = (correlationId: string) => (line: Record<string, unknown>) =>
  (line.event as { correlation_id?: string } | undefined)?.correlation_id === correlationId;

test('tail prints decoded events as JSON lines from a time or an offset, and stops at the end', async () => {
  const correlationId = randomUUID();
  await f.bus.publish(TOPIC, registered(correlationId, '1'));
  await sleep(50);
  const between = new Date().toISOString();
  await sleep(50);
  await f.transport.send([f.bus.message(TOPIC, registered(correlationId, '2')), f.bus.message(TOPIC, registered(correlationId, '3'))]);

  const fromTime = topics('tail', TOPIC, '--from-time', between);
  assert.equal(fromTime.status, 0, fromTime.stderr);
  const mine = fromTime.lines.filter(ofRun(correlationId));
  assert.deepEqual(
    mine.map((l) => (l.event as { model_version: string }).model_version),
    ['2', '3'],
  );
  assert.deepEqual(mine[0]?.headers, { 'content-type': 'application/vnd.apache.avro.single-object' }, 'the headers as sent');
  assert.equal(mine[0]?.topic, TOPIC);

  const { partition, offset } = mine[1] as { partition: number; offset: string };
  const fromOffset = topics('tail', TOPIC, '--from-offset', offset, '--partition', String(partition), '--limit', '1');
  assert.equal(fromOffset.lines.length, 1);
  assert.equal((fromOffset.lines[0]?.event as { model_version: string } | undefined)?.model_version, '3');
});

test('replay refuses while the group is active, then re-runs the handlers from a time without duplicating effects', async () => {
  const correlationId = randomUUID();
  const groupId = `registry-watch-${correlationId}`;
  const start = new Date(Date.now() - 1000).toISOString();
  const events = ['1', '2', '3'].map((v) => registered(correlationId, v));
  let duplicates = 0;
  const subscribe = () =>
    f.bus.subscribe({
      groupId,
      topic: TOPIC,
      db: f.db,
      fromBeginning: false,
      handler: async (event, { trx }) => {
        if (event.correlation_id === correlationId)
          await trx.insertInto(f.table).values({ event_id: event.event_id, correlation_id: correlationId }).execute();
      },
      afterCommit: (event, { duplicate }) => {
        if (duplicate && event.correlation_id === correlationId) duplicates++;
      },
    });

  const first = await subscribe();
  await f.transport.send(events.map((e) => f.bus.message(TOPIC, e)));
  await eventually('three effects', async () => ((await f.effects(correlationId)).length === 3 ? true : undefined));

  const refused = topics('replay', TOPIC, '--group', groupId, '--from-time', start);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, new RegExp(`topics: consumer group ${groupId} is active \\(Stable, 1 member\\): stop its service first`));
  await first.stop();

  const fresh = topics('replay', TOPIC, '--group', groupId, '--from-time', start, '--fresh', 'debug');
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.equal(fresh.lines[0]?.group, `${groupId}.debug`);
  assert.deepEqual(
    await f.transport.consumerLag(groupId, [TOPIC]).then((rows) => rows.every((r) => r.lag === 0)),
    true,
    'production offsets untouched',
  );

  const replay = topics('replay', TOPIC, '--group', groupId, '--from-time', start);
  assert.equal(replay.status, 0, replay.stderr);
  assert.equal(replay.lines[0]?.applied, true);

  const second = await subscribe();
  try {
    await eventually('the three events again', async () => (duplicates === 3 ? true : undefined));
    assert.equal((await f.effects(correlationId)).length, 3, 'handled again, recorded once');
  } finally {
    await second.stop();
  }
});

test('dead letters can be listed, shown decoded, and redriven to their topic once the cause is fixed', async () => {
  const correlationId = randomUUID();
  const bad = registered(correlationId, '7', null);
  let fixed = false;
  const consumption = await f.bus.subscribe({
    groupId: `gate-${correlationId}`,
    topic: TOPIC,
    db: f.db,
    fromBeginning: false,
    handler: async (event, { trx }) => {
      if (event.correlation_id !== correlationId) return;
      if (!fixed && event.policy_id === null) throw new EventRejected('POLICY_ID_MISSING', 'model.registered without policy_id');
      await trx.insertInto(f.table).values({ event_id: event.event_id, correlation_id: correlationId }).execute();
    },
  });
  try {
    await f.bus.publish(TOPIC, bad);
    const letter = await eventually('the dead letter', async () =>
      topics('dlt', 'list', TOPIC).lines.find((l) => l.event_id === bad.event_id),
    );
    assert.equal(letter.error_code, 'POLICY_ID_MISSING');
    assert.equal(letter.group, `gate-${correlationId}`);
    assert.equal(letter.attempts, 1);

    const shown = topics('dlt', 'show', TOPIC, '--offset', String(letter.offset));
    assert.equal((shown.lines[0]?.message as { event: { model_version: string } } | undefined)?.event.model_version, '7');

    fixed = true;
    const redriven = topics('dlt', 'redrive', TOPIC, '--offset', String(letter.offset));
    assert.equal(redriven.status, 0, redriven.stderr);
    assert.deepEqual(redriven.lines[0], {
      topic: TOPIC,
      sent: 1,
      skipped: 0,
      already_done: 0,
      left: 0,
      dry_run: false,
      interrupted: false,
    });
    await eventually('the redriven event', async () => ((await f.effects(correlationId)).length === 1 ? true : undefined));

    topics('dlt', 'redrive', TOPIC, '--offset', String(letter.offset));
    await sleep(2000);
    assert.deepEqual(await f.effects(correlationId), [bad.event_id], 'a second redrive changes nothing');
    assert.equal(topics('dlt', 'show', TOPIC, '--offset', '999999999').status, 1);
  } finally {
    await consumption.stop();
  }
});

test('an unknown topic or a bad time is one line on stderr', () => {
  const unknown = topics('tail', 'no.such.topic');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^topics: unknown topic 'no\.such\.topic' \(known: .*model\.registered/);
  const badTime = topics('replay', TOPIC, '--group', 'g', '--from-time', 'yesterday');
  assert.equal(badTime.status, 2);
  assert.equal(badTime.stderr, "topics: --from-time needs an ISO 8601 time, e.g. 2026-11-26T10:00:00Z; got 'yesterday'");
});

/**
 * The few kafkajs admin calls the next tests need: creating topics with a
 * config, which no port offers. kafkajs is not a dependency of the topic CLI,
 * so this borrows the tests workspace's copy.
 */
interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: {
    waitForLeaders: boolean;
    topics: { topic: string; numPartitions: number; replicationFactor: number; configEntries?: { name: string; value: string }[] }[];
  }): Promise<boolean>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
}
const { Kafka } = createRequire(join(import.meta.dirname, '..', '..', '..', 'tests', 'package.json'))('kafkajs') as {
  Kafka: new (config: { clientId: string; brokers: string[]; logLevel: number }) => { admin(): KafkaAdmin };
};

/** Larger than the broker's default max.message.bytes (1 MiB), smaller than what the test's dead-letter topic takes. */
const OVERSIZED = 1_500_000;

/**
 * A namespace of the test's own, so its dead-letter topic holds only its
 * letters: `model.registered` with the broker's default max.message.bytes,
 * and `model.registered.dlt` taking 4 MiB, so a letter can be too large to go
 * back. Through `transport`, the test writes letters and reads what arrived.
 */
async function ownTopics() {
  const namespace = `topic-cli-${randomUUID().slice(0, 8)}.`;
  const admin = new Kafka({ clientId: 'topic-cli-test', brokers: f.config.kafka.brokers, logLevel: 0 }).admin();
  await admin.connect();
  const physical = [`${namespace}${TOPIC}`, `${namespace}${TOPIC}.dlt`];
  // Not kafkajs' waitForLeaders: it gives up on the UNKNOWN_TOPIC_OR_PARTITION a loaded broker answers for a moment.
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      { topic: `${namespace}${TOPIC}`, numPartitions: 3, replicationFactor: -1 },
      {
        topic: `${namespace}${TOPIC}.dlt`,
        numPartitions: 1,
        replicationFactor: -1,
        configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }],
      },
    ],
  });
  const transport = new KafkajsTransport({ brokers: f.config.kafka.brokers, clientId: 'topic-cli-test', namespace });
  // A new partition's leader may answer ListOffsets a moment after the metadata names it.
  await eventually('the topics answer', async () => {
    const ready = await Promise.all(
      [TOPIC, `${TOPIC}.dlt`].map((t) =>
        transport.offsetsAt(t, 0).then(
          () => true,
          () => false,
        ),
      ),
    );
    return ready.every(Boolean) ? true : undefined;
  });
  return {
    namespace,
    topics: (...args: string[]) => topicsIn(namespace, args),
    /** How many messages the original topic holds: a cheap look, no consumer group. */
    async count(): Promise<number> {
      const ends = await transport.offsetsAt(TOPIC, Date.now() + 3_600_000);
      return ends.reduce((sum, end) => sum + Number(end.offset), 0);
    },
    /** Puts letters on the dead-letter topic in this order, at offsets 0, 1, 2, ... */
    deadLetter: (letters: OutgoingMessage[]) => transport.send(letters),
    /** Everything on the original topic. */
    async arrived(): Promise<IncomingMessage[]> {
      const found: IncomingMessage[] = [];
      const onMessage = (message: IncomingMessage) => {
        found.push(message);
        return true;
      };
      await transport.read({ topic: TOPIC, start: { from: 'beginning' }, follow: false, onMessage });
      return found;
    },
    async close() {
      await transport.close();
      await admin.deleteGroups([`${namespace}planner-redrive.${TOPIC}`]).catch(() => undefined);
      await admin.deleteTopics({ topics: physical });
      await admin.disconnect();
    },
  };
}

/** The dead letter of `event`, as the bus writes it: the original message plus dlt-* headers. */
function letterOf(event: TopicEvents['model.registered']): OutgoingMessage {
  const message = f.bus.message(TOPIC, event);
  return {
    ...message,
    topic: `${TOPIC}.dlt`,
    headers: {
      ...message.headers,
      [DLT_HEADER.eventId]: event.event_id,
      [DLT_HEADER.originalTopic]: TOPIC,
      [DLT_HEADER.originalPartition]: '0',
      [DLT_HEADER.originalOffset]: '0',
      [DLT_HEADER.errorCode]: 'POLICY_ID_MISSING',
      [DLT_HEADER.attempts]: '1',
    },
  };
}

const eventIdOf = (m: IncomingMessage) => (f.bus.registry.decode(TOPIC, m.value as Buffer).value as { event_id: string }).event_id;
const eventIds = (messages: IncomingMessage[]) => messages.map(eventIdOf).sort();

test('redrive --all records how far it got: stopped after --limit letters, a rerun sends only the rest, each letter once', async () => {
  const own = await ownTopics();
  try {
    const events = ['1', '2', '3', '4', '5'].map((v) => registered(randomUUID(), v));
    await own.deadLetter(events.map(letterOf));

    const first = own.topics('dlt', 'redrive', TOPIC, '--all', '--limit', '2');
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(first.lines[0], { topic: TOPIC, sent: 2, skipped: 0, already_done: 0, left: 3, dry_run: false, interrupted: false });

    const plan = own.topics('dlt', 'redrive', TOPIC, '--all', '--dry-run');
    assert.deepEqual(plan.lines[0], {
      topic: TOPIC,
      sent: 0,
      skipped: 0,
      already_done: 2,
      left: 3,
      dry_run: true,
      interrupted: false,
      offsets: ['2', '3', '4'],
    });

    const rest = own.topics('dlt', 'redrive', TOPIC, '--all');
    assert.equal(rest.status, 0, rest.stderr);
    assert.deepEqual(rest.lines[0], { topic: TOPIC, sent: 3, skipped: 0, already_done: 2, left: 0, dry_run: false, interrupted: false });
    const again = own.topics('dlt', 'redrive', TOPIC, '--all');
    assert.deepEqual(again.lines[0], { topic: TOPIC, sent: 0, skipped: 0, already_done: 5, left: 0, dry_run: false, interrupted: false });

    const arrived = await own.arrived();
    assert.deepEqual(eventIds(arrived), events.map((e) => e.event_id).sort(), 'every letter once across the runs');
    const from = Object.fromEntries(arrived.map((m) => [eventIdOf(m), m.headers['redriven-from']]));
    assert.deepEqual(
      events.map((e) => from[e.event_id]),
      events.map((_e, offset) => `${TOPIC}.dlt/0/${offset}`),
    );
    assert.deepEqual(
      arrived.flatMap((m) => Object.keys(m.headers).filter((name) => name.startsWith('dlt-'))),
      [],
      'the dlt-* headers are dropped',
    );

    const restart = own.topics('dlt', 'redrive', TOPIC, '--all', '--restart', '--dry-run');
    assert.equal(restart.lines[0]?.already_done, 0);
    assert.equal(restart.lines[0]?.left, 5);
    assert.equal(own.topics('dlt', 'redrive', TOPIC, '--restart', '--offset', '0').status, 2);
  } finally {
    await own.close();
  }
});

test('a letter the broker refuses and a letter whose value was not kept are reported and skipped; the redrive goes on', async () => {
  const own = await ownTopics();
  try {
    const [good, oversized, omitted, alsoGood] = ['1', '2', '3', '4'].map((v) => registered(randomUUID(), v)) as [
      TopicEvents['model.registered'],
      TopicEvents['model.registered'],
      TopicEvents['model.registered'],
      TopicEvents['model.registered'],
    ];
    const tooLarge = { ...letterOf(oversized), value: Buffer.alloc(OVERSIZED, 7) };
    const stubbed = letterOf(omitted);
    const stub = {
      ...stubbed,
      value: Buffer.alloc(0),
      headers: {
        ...stubbed.headers,
        [DLT_HEADER.valueOmitted]: 'true',
        [DLT_HEADER.originalSize]: String(OVERSIZED),
        [DLT_HEADER.originalSha256]: createHash('sha256').update(stubbed.value).digest('hex'),
      },
    };
    await own.deadLetter([letterOf(good), tooLarge, stub, letterOf(alsoGood)]);

    const run = own.topics('dlt', 'redrive', TOPIC, '--all');
    assert.equal(run.status, 3, 'skipped letters make the exit status non-zero');
    assert.deepEqual(run.lines[0], { topic: TOPIC, sent: 2, skipped: 2, already_done: 0, left: 0, dry_run: false, interrupted: false });
    const skips = run.stderr.split('\n').filter((line) => line.startsWith('topics: skipped'));
    assert.equal(skips.length, 2, run.stderr);
    assert.equal(skips[0], `topics: skipped ${TOPIC}.dlt/0/1 (${oversized.event_id}): the broker refused the message: MESSAGE_TOO_LARGE`);
    assert.match(skips[1] ?? '', new RegExp(`^topics: skipped ${TOPIC}\\.dlt/0/2 \\(${omitted.event_id}\\): its value was not kept`));
    assert.match(skips[1] ?? '', new RegExp(`dlt-original-size=${OVERSIZED}`));
    assert.deepEqual(eventIds(await own.arrived()), [good.event_id, alsoGood.event_id].sort());

    const rerun = own.topics('dlt', 'redrive', TOPIC, '--all');
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.deepEqual(rerun.lines[0], { topic: TOPIC, sent: 0, skipped: 0, already_done: 4, left: 0, dry_run: false, interrupted: false });

    const alone = own.topics('dlt', 'redrive', TOPIC, '--offset', '2');
    assert.equal(alone.status, 3);
    assert.equal(alone.lines[0]?.skipped, 1);
    assert.deepEqual(eventIds(await own.arrived()), [good.event_id, alsoGood.event_id].sort(), 'nothing sent twice');
  } finally {
    await own.close();
  }
});

test('Ctrl-C stops a redrive --all after the batch in hand; a rerun sends the rest, each letter once', async () => {
  const own = await ownTopics();
  try {
    // Each letter larger than a batch may hold (and under the broker's limit), so each is a batch of its own.
    // Each batch's progress is saved before the next is sent (a group offset commit, seconds here), so the Ctrl-C sent
    // as soon as the first letter arrives lands while the first of four batches is being saved.
    const events = ['1', '2', '3', '4'].map((v) => registered(randomUUID(), v));
    await own.deadLetter(events.map((e) => ({ ...letterOf(e), value: Buffer.alloc(600_000, 1) })));

    const child = spawn(process.execPath, [CLI, 'dlt', 'redrive', TOPIC, '--all'], {
      env: { ...process.env, KAFKA_NAMESPACE: own.namespace },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, 'exit');
    await eventually('the first letter sent back', async () => ((await own.count()) > 0 ? true : undefined));
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /topics: stopping after the batch in hand/);
    const stopped = JSON.parse(stdout) as { sent: number; left: number; interrupted: boolean };
    assert.equal(stopped.interrupted, true);
    assert.equal(stopped.sent + stopped.left, events.length);
    assert.ok(stopped.left > 0, 'stopped before the end');

    const rest = own.topics('dlt', 'redrive', TOPIC, '--all');
    assert.equal(rest.status, 0, rest.stderr);
    assert.equal(rest.lines[0]?.already_done, stopped.sent);
    assert.equal(rest.lines[0]?.sent, stopped.left);
    // The values are filler, not events: the letters are told apart by the position each was redriven from.
    assert.deepEqual(
      (await own.arrived()).map((m) => m.headers['redriven-from']).sort(),
      events.map((_e, offset) => `${TOPIC}.dlt/0/${offset}`),
      'every letter once across the runs',
    );
  } finally {
    await own.close();
  }
});

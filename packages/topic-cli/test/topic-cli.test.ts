import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventRejected } from '@planner/bus';
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
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
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
  assert.equal((mine[0]?.headers as Record<string, string> | undefined)?.['correlation-id'], correlationId);
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
    assert.deepEqual(redriven.lines[0], { topic: TOPIC, redriven: 1, offsets: [letter.offset], dry_run: false });
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

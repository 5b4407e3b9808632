/**
 * The gate's pass path against a real database: the first pass of a policy
 * starts its experiment; a later one queues it, still announces gate.passed,
 * and stages no experiment.started (decision 0010).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BusTables, busMigrations, EventBus, type HandlerContext, type MessageTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import type { RowMetrics } from '@planner/evaluation';
import { type ExperimentStarted, type GatePassed, type ReplayCompleted, SchemaRegistry } from '@planner/schemas';
import { type Kysely, sql } from 'kysely';
import { isolatedLifecycle } from '../../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../../tests/support/stack.ts';
import { bootstrapBaseline } from '../../src/baseline-policy.ts';
import type { GateConfig } from '../../src/gate-config.ts';
import { replayCompletedHandler } from '../../src/handlers/replay-completed.ts';
import { type GateTables, gateMigrations } from '../../src/tables.ts';

const stack = useStack('postgres', 'kafka');
const config: GateConfig = {
  alpha: 0.05,
  margins: { offline_score: 0.005, plan_alignment: 0.02, edit_rate: 0.02, latency_ms: 50, cost_usd: 0.001 },
  treatmentAllocation: 0.05,
};
// The handler only stages events in the outbox, in its transaction; nothing is sent from here.
const unused = () => Promise.reject(new Error('the handler stages events in the outbox; it never sends'));
const transport: MessageTransport = { send: unused, consume: unused, consumerLag: unused, close: unused };
const bus = new EventBus({ transport, registry: SchemaRegistry.load(), producer: 'promotion-gate' });
const handle = replayCompletedHandler({ bus, config });
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<GateTables & BusTables>;

const metrics = (alignment: number): RowMetrics => ({
  plan_alignment: alignment,
  meal_diversity: 1,
  leftovers_utility: 1,
  constraint_respect: 1,
  violations: 0,
  predicted_edits: 2,
  actual_edits: 2,
  edit_rate: 1 - alignment,
  latency_ms: 1,
  cost_usd: 0,
  policy_failed: 0,
});

/** A registered version and a finished replay of it that passes every rule (40 rows, the candidate a little better). */
async function passingReplay(replayId: string, policyVersionId: string) {
  await db
    .insertInto('exp.policy_versions')
    .values({
      policy_version_id: policyVersionId,
      policy_id: 'planner',
      version: sql<number>`(select max(version) + 1 from exp.policy_versions)`,
      config_defaults: '{}',
      mlflow_model_name: 'm',
      mlflow_model_version: policyVersionId.slice(-1),
      model_uri: null,
      dataset_version: 'planner/2026-03-01',
      status: 'registered',
    })
    .execute();
  await sql`insert into exp.replays values (${replayId}, ${`${replayId}-candidate`}, ${`${replayId}-baseline`})`.execute(db);
  for (let i = 0; i < 40; i++) {
    const alignment = 0.81 + (i % 2 === 0 ? 0.01 : -0.01);
    await sql`insert into exp.offline_replay_results values
      (${`${replayId}-candidate`}, ${`r${i}`}, ${JSON.stringify(metrics(alignment))}, ${alignment}),
      (${`${replayId}-baseline`}, ${`r${i}`}, ${JSON.stringify(metrics(0.8))}, 0.8)`.execute(db);
  }
}

function replayCompleted(replayId: string, policyVersionId: string): ReplayCompleted {
  return bus.event(
    'replay.completed',
    {
      replay_id: replayId,
      candidate: { policy_version_id: policyVersionId, model_name: 'm', model_version: policyVersionId.slice(-1) },
      baseline: { policy_version_id: 'heuristic-baseline-v1', model_name: null, model_version: null },
      dataset_version: 'planner/2026-03-01',
      seed: 1,
      row_count: 40,
      metrics: [],
      offline_score_candidate: 0.81,
      offline_score_baseline: 0.8,
      score_version: 's',
      results_digest: 'd',
      mlflow_run_id: 'run',
    },
    `correlation-${replayId}`,
  );
}

/** Runs the handler as the consumer does, in one transaction; returns the events it staged, decoded. */
async function judge(event: ReplayCompleted) {
  const message = { topic: 'replay.completed', partition: 0, offset: '0', timestamp: '0', key: null, value: null, headers: {} };
  const last = (await db.selectFrom('exp.outbox').select(sql<number>`coalesce(max(id), 0)`.as('id')).executeTakeFirstOrThrow()).id;
  await db
    .transaction()
    .execute((trx) => handle(event, { trx, message, attempt: 1, batch: new Map() } satisfies HandlerContext<GateTables>));
  const staged = await db.selectFrom('exp.outbox').select(['topic', 'payload']).where('id', '>', last).orderBy('id').execute();
  return staged.map((m) => ({ topic: m.topic, event: bus.registry.decode(m.topic, m.payload).value }));
}

before(async () => {
  life = await isolatedLifecycle(stack, 'gate_pass');
  db = createDatabase<GateTables & BusTables>(life.databaseUrl);
  await migrate(db, 'bus', busMigrations);
  await migrate(db, 'promotion-gate', gateMigrations);
  await bootstrapBaseline(db, 'planner');
  // The columns the gate reads of the replay-evaluator's tables (seed §4.2's exp.offline_replay_results).
  await sql`create table exp.replays (replay_id text primary key, candidate_key text not null, baseline_key text not null)`.execute(db);
  await sql`
    create table exp.offline_replay_results (
      result_key text, row_id text, metrics jsonb not null, offline_score double precision not null, primary key (result_key, row_id)
    )`.execute(db);
});

after(async () => {
  await db?.destroy();
  await life?.cleanup();
});

test('the first pass starts its experiment; a later pass queues its own and announces only gate.passed', async () => {
  await passingReplay('replay-1', 'planner:m:v1');
  await passingReplay('replay-2', 'planner:m:v2');

  const first = await judge(replayCompleted('replay-1', 'planner:m:v1'));
  assert.deepEqual(
    first.map((m) => m.topic),
    ['experiment.started', 'gate.passed'],
  );
  const second = await judge(replayCompleted('replay-2', 'planner:m:v2'));
  assert.deepEqual(
    second.map((m) => m.topic),
    ['gate.passed'],
  );

  const firstPassed = first[1]?.event as GatePassed;
  const started = first[0]?.event as ExperimentStarted;
  assert.equal(started.experiment_id, firstPassed.experiment_id);
  assert.equal(started.baseline_policy_version_id, 'heuristic-baseline-v1');
  const passed = second[0]?.event as GatePassed;
  assert.equal(passed.policy_version_id, 'planner:m:v2');
  assert.equal(passed.treatment_allocation, 0.05);
  const experiments = await db
    .selectFrom('exp.experiments')
    .select(['experiment_id', 'status', 'decision_id'])
    .orderBy('created_at')
    .execute();
  assert.deepEqual(
    experiments.map((e) => [e.experiment_id, e.status, e.decision_id]),
    [
      [firstPassed.experiment_id, 'running', firstPassed.decision_id],
      [passed.experiment_id, 'queued', passed.decision_id],
    ],
  );
  const variants = await db
    .selectFrom('exp.variants')
    .select(['variant_id', 'policy_version_id', 'role', 'allocation'])
    .where('experiment_id', '=', passed.experiment_id)
    .orderBy('role')
    .execute();
  assert.deepEqual(variants, [
    { variant_id: `${passed.experiment_id}-control`, policy_version_id: 'heuristic-baseline-v1', role: 'control', allocation: 0.95 },
    { variant_id: passed.treatment_variant_id, policy_version_id: 'planner:m:v2', role: 'treatment', allocation: 0.05 },
  ]);
});

test('a failing replay of a version already in an experiment records its decision and leaves the version a candidate', async () => {
  // planner:m:v2 is queued behind v1 (the test above). Another replay of it, far worse this time.
  await sql`insert into exp.replays values ('replay-2b', 'replay-2b-candidate', 'replay-2b-baseline')`.execute(db);
  for (let i = 0; i < 40; i++) {
    await sql`insert into exp.offline_replay_results values
      ('replay-2b-candidate', ${`r${i}`}, ${JSON.stringify(metrics(0.5))}, 0.5),
      ('replay-2b-baseline', ${`r${i}`}, ${JSON.stringify(metrics(0.8))}, 0.8)`.execute(db);
  }
  const judged = await judge(replayCompleted('replay-2b', 'planner:m:v2'));
  assert.deepEqual(
    judged.map((m) => m.topic),
    ['gate.rejected'],
  );
  const version = await db
    .selectFrom('exp.policy_versions')
    .select('status')
    .where('policy_version_id', '=', 'planner:m:v2')
    .executeTakeFirst();
  // Rejecting it would break its queued experiment's invariant (the treatment is a candidate) the day it starts.
  assert.equal(version?.status, 'candidate');
});

/**
 * The gate's judgement of replay.completed against a real database and a real
 * replay-evaluator, whose API is the only way the gate reads a replay's rows:
 * the first pass of a policy starts its experiment; a later one queues it,
 * still announces gate.passed, and stages no experiment.started (decision
 * 0010). Rows that are not the ones the event's digest names, or not final
 * yet, decide nothing and are retried; an unknown replay is rejected.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BusTables, busMigrations, EventBus, EventRejected, type HandlerContext, type MessageTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { isTransient } from '@planner/errors';
import { type ExperimentStarted, type GatePassed, type ReplayCompleted, SchemaRegistry } from '@planner/schemas';
import { type Kysely, sql } from 'kysely';
import { isolatedLifecycle } from '../../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { type RunningService, startService } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { type RecordedRow, recordReplay, rowMetrics } from '../../../../tests/support/recorded-replay.ts';
import { useStack } from '../../../../tests/support/stack.ts';
import { bootstrapBaseline } from '../../src/baseline-policy.ts';
import type { GateConfig } from '../../src/gate-config.ts';
import { replayCompletedHandler } from '../../src/handlers/replay-completed.ts';
import { ReplayEvaluatorClient } from '../../src/replay-evaluator-client.ts';
import { ReplayRowsError } from '../../src/replay-rows-error.ts';
import { type GateTables, gateMigrations } from '../../src/tables.ts';

const stack = useStack('postgres', 'kafka', 'mlflow');
const config: GateConfig = {
  alpha: 0.05,
  margins: { offline_score: 0.005, plan_alignment: 0.02, edit_rate: 0.02, latency_ms: 50, cost_usd: 0.001 },
  treatmentAllocation: 0.05,
};
// The handler only stages events in the outbox, in its transaction; nothing is sent from here.
const unused = () => Promise.reject(new Error('the handler stages events in the outbox; it never sends'));
const transport: MessageTransport = { send: unused, consume: unused, consumerLag: unused, close: unused };
const bus = new EventBus({ transport, registry: SchemaRegistry.load(), producer: 'promotion-gate' });
let handle: ReturnType<typeof replayCompletedHandler>;
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<GateTables & BusTables>;
let replayEvaluator: RunningService | undefined;

/** 40 paired rows: the candidate's alignment `candidate(i)` on row i, the baseline's 0.8. */
const pairedRows = (candidate: (i: number) => number): RecordedRow[] =>
  Array.from({ length: 40 }, (_, i) => ({
    row_id: `r${i}`,
    candidate: { metrics: rowMetrics(candidate(i)), offline_score: candidate(i) },
    baseline: { metrics: rowMetrics(0.8), offline_score: 0.8 },
  }));

/** The candidate a little better on every other row: passes every rule. */
const passing = (i: number) => 0.81 + (i % 2 === 0 ? 0.01 : -0.01);

async function registered(policyVersionId: string) {
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
}

/** A replay of the version in the replay-evaluator, completed unless told otherwise; its results digest. */
async function recordedReplay(
  replayId: string,
  policyVersionId: string,
  rows: RecordedRow[],
  status: 'running' | 'completed' = 'completed',
) {
  const candidate = { policy_version_id: policyVersionId, model_name: 'm', model_version: policyVersionId.slice(-1) };
  return (await recordReplay(life.databaseUrl, { replayId, candidate, rows, status })) ?? 'none yet';
}

function replayCompleted(replayId: string, policyVersionId: string, resultsDigest: string): ReplayCompleted {
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
      results_digest: resultsDigest,
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
  // Its workers and its own planning off: the replays it serves are recorded by the tests.
  replayEvaluator = await startService('replay-evaluator', { ...life.env, REPLAY_ON_REGISTER: 'false', REPLAY_WORKER: 'false' });
  handle = replayCompletedHandler({ bus, config, replays: new ReplayEvaluatorClient(replayEvaluator.address) });
});

after(async () => {
  await replayEvaluator?.stop();
  await db?.destroy();
  await life?.cleanup();
});

test('the first pass starts its experiment; a later pass queues its own and announces only gate.passed', async () => {
  await registered('planner:m:v1');
  await registered('planner:m:v2');
  const digest1 = await recordedReplay('replay-1', 'planner:m:v1', pairedRows(passing));
  const digest2 = await recordedReplay('replay-2', 'planner:m:v2', pairedRows(passing));

  const first = await judge(replayCompleted('replay-1', 'planner:m:v1', digest1));
  assert.deepEqual(
    first.map((m) => m.topic),
    ['experiment.started', 'gate.passed'],
  );
  const second = await judge(replayCompleted('replay-2', 'planner:m:v2', digest2));
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
  const digest = await recordedReplay(
    'replay-2b',
    'planner:m:v2',
    pairedRows(() => 0.5),
  );
  const judged = await judge(replayCompleted('replay-2b', 'planner:m:v2', digest));
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

/** Asserts judging `event` fails with `code`, retryable (the consumer retries it) or not, and decides nothing. */
async function undecided(event: ReplayCompleted, code: string, retryable: boolean, message: RegExp) {
  await assert.rejects(judge(event), (error: unknown) => {
    assert.ok(error instanceof ReplayRowsError || error instanceof EventRejected, String(error));
    assert.deepEqual([error.code, isTransient(error)], [code, retryable]);
    assert.match(error.message, message);
    return true;
  });
  const decision = await db
    .selectFrom('exp.gate_decisions')
    .select('decision_id')
    .where('replay_id', '=', event.replay_id)
    .executeTakeFirst();
  assert.equal(decision, undefined, 'no decision');
}

test('rows that are not the ones replay.completed announced decide nothing: retried until they are', async () => {
  await registered('planner:m:v3');
  const digest = await recordedReplay('replay-3', 'planner:m:v3', pairedRows(passing));
  const announced = 'f'.repeat(64);
  await undecided(
    replayCompleted('replay-3', 'planner:m:v3', announced),
    'REPLAY_DIGEST_MISMATCH',
    true,
    new RegExp(`rows of replay replay-3 digest to ${digest}, but replay.completed announced ${announced}`),
  );
  const judged = await judge(replayCompleted('replay-3', 'planner:m:v3', digest));
  assert.deepEqual(
    judged.map((m) => m.topic),
    ['gate.passed'],
  );
});

test('a replay still running is retried; one the replay-evaluator does not know is rejected', async () => {
  await registered('planner:m:v4');
  await recordedReplay('replay-4', 'planner:m:v4', pairedRows(passing), 'running');
  await undecided(replayCompleted('replay-4', 'planner:m:v4', 'd'.repeat(64)), 'REPLAY_ROWS_NOT_READY', true, /replay replay-4 is running/);
  await undecided(
    replayCompleted('replay-5', 'planner:m:v4', 'd'.repeat(64)),
    'REPLAY_UNKNOWN',
    false,
    /^the replay-evaluator knows no replay replay-5$/,
  );
});

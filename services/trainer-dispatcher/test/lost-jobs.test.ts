/**
 * Jobs whose dispatcher died (no heartbeat for `lostAfterSeconds`), on the
 * real database and MLflow: run again with the abandoned run marked for
 * closing while attempts remain, failed with training.failed and the run ended
 * FAILED once they are used up; a run MLflow no longer has does not stop the
 * recovery of the others.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { busMigrations, EventBus, KafkajsTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { MlflowClient, runIdentity } from '@planner/mlflow-client';
import { SchemaRegistry } from '@planner/schemas';
import { startTracing, type Tracing } from '@planner/telemetry';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { type TrainerTables, trainerMigrations } from '../src/tables.ts';
import { TrainingJobs } from '../src/training-jobs.ts';

const stack = useStack('postgres', 'kafka', 'mlflow');
const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<TrainerTables>;
let transport: KafkajsTransport;
let jobs: TrainingJobs;
let experimentId: string;
let tracing: Tracing;

before(async () => {
  tracing = startTracing({ serviceName: 'trainer-dispatcher', env: {} });
  life = await isolatedLifecycle(stack, 'lost_jobs');
  db = createDatabase<TrainerTables>(life.databaseUrl, { maxConnections: 2 });
  await migrate(db, 'bus', busMigrations);
  await migrate(db, 'trainer-dispatcher', trainerMigrations);
  transport = new KafkajsTransport({ brokers: stack.kafka.brokers, clientId: 'lost-jobs-test', namespace: life.namespace });
  jobs = new TrainingJobs({
    db: db as never,
    bus: new EventBus({ transport, registry: SchemaRegistry.load(), producer: 'trainer-dispatcher' }),
    mlflow,
    mlflowExperiment: `lost-jobs-${life.id}`,
    identity: runIdentity('trainer-dispatcher', {}),
    backends: new Map(),
    trainersRoot: '/nowhere',
    trainerEnv: {},
    maxConcurrent: 1,
    logger: pino({ level: 'silent' }),
    maxAttempts: 3,
    lostAfterSeconds: 5,
    dependencyBudgetSeconds: 60,
  });
  experimentId = await mlflow.getOrCreateExperiment(`lost-jobs-${life.id}`);
  await db
    .insertInto('exp.training_datasets')
    .values({
      dataset_version: 'planner/2026-01-01',
      model_name: 'planner',
      location: 'file:///x/',
      digest: 'd',
      row_count: 1,
      mlflow_run_id: 'r',
    })
    .execute();
});

after(async () => {
  await tracing?.shutdown();
  await transport?.close();
  await db?.destroy();
  await life?.cleanup();
});

/** A job left `running` at `attempt` by a dispatcher that stopped writing its heartbeat a minute ago. */
async function abandoned(attempt: number, runId: string, traceparent: string | null = null): Promise<string> {
  const jobId = randomUUID();
  await db
    .insertInto('exp.training_jobs')
    .values({
      job_id: jobId,
      request_key: `test:${jobId}`,
      dataset_version: 'planner/2026-01-01',
      recipe_id: 'planner-ranker@1',
      recipe: JSON.stringify({ recipe_id: 'planner-ranker@1' }),
      backend: 'local',
      model_name: 'planner',
      policy_id: 'planner',
      status: 'running',
      correlation_id: `lost-${jobId}`,
      mlflow_run_id: runId,
      timeout_seconds: 60,
      attempt,
      started_at: sql<Date>`now() - interval '2 minutes'`,
      heartbeat_at: sql<Date>`now() - interval '1 minute'`,
      traceparent,
      tracestate: null,
    })
    .execute();
  return jobId;
}

const job = (jobId: string) => db.selectFrom('exp.training_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow();

test('a lost job with attempts left runs again: queued, next attempt, its run listed for closing', async () => {
  const run = (await mlflow.createRun({ experimentId, runName: 'abandoned' })).info.runId;
  const jobId = await abandoned(1, run);
  await jobs.recoverLostJobs();
  const row = await job(jobId);
  assert.deepEqual(
    { status: row.status, attempt: row.attempt, mlflow_run_id: row.mlflow_run_id, runs_to_close: row.runs_to_close },
    { status: 'queued', attempt: 2, mlflow_run_id: null, runs_to_close: [run] },
  );
  assert.match(row.log, /attempt 1: its dispatcher stopped answering; running the job again/);
});

test('a lost job on its last attempt fails with training.failed and its run ends FAILED; a run MLflow lacks does not stop it', async () => {
  const run = (await mlflow.createRun({ experimentId, runName: 'last attempt' })).info.runId;
  const last = await abandoned(3, run);
  const gone = await abandoned(3, 'a'.repeat(32));
  await jobs.recoverLostJobs();
  for (const jobId of [last, gone]) {
    const row = await job(jobId);
    assert.equal(row.status, 'failed', jobId);
    assert.equal(row.error_code, 'TRAINING_WORKER_LOST');
    assert.match(row.error_message ?? '', /stopped answering in each of 3 attempts/);
  }
  assert.equal((await mlflow.getRun(run)).info.status, 'FAILED');
  const failed = await sql<{ n: number }>`select count(*)::int as n from exp.outbox where topic = 'training.failed'`.execute(db);
  assert.equal(failed.rows[0]?.n, 2, 'one training.failed per job');
});

test('a lost job failed for good announces it in the trace it was queued in', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const jobId = await abandoned(3, 'b'.repeat(32), `00-${traceId}-b7ad6b7169203331-01`);
  await jobs.recoverLostJobs();
  const staged = await sql<{ headers: Record<string, string> }>`
    select headers from exp.outbox where topic = 'training.failed' and message_key = ${jobId}`.execute(db);
  assert.equal(staged.rows[0]?.headers.traceparent?.split('-')[1], traceId);
});

/**
 * Issue 17 on a stack of its own (so stopping its servers leaves the shared
 * one alone), with the five services as processes, as in production: one
 * lifecycle run through S3 and MLflow stopped for 60 s during the dataset
 * build, trainer-dispatcher SIGKILLed mid-job, PostgreSQL stopped for 60 s as
 * training ends, then the Kafka broker restarted. No service may die, every /readyz must
 * go false during its outage and true again after, and the run must end with
 * exactly one dataset version, one successful MLflow training run, one model
 * version, one candidate policy version, one decision and one experiment.
 * Recovery times are printed (from a dependency's return to progress).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ComponentName, loadStackConfig, type StackConfig, stackDown, stackUp } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import pg from 'pg';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, deadLetterHeaders, publishSyntheticWorld } from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';

const SERVICES = ['dataset-builder', 'trainer-dispatcher', 'registry-sync', 'replay-evaluator', 'promotion-gate'] as const;
type Name = (typeof SERVICES)[number];
const OUTAGE_MS = 60_000;

const scratch = mkdtempSync(join(tmpdir(), 'pl-faults-'));
// PostgreSQL runs as its own user, which must reach its data folder under this one.
chmodSync(scratch, 0o755);
const stackEnv: Record<string, string | undefined> = {
  ...process.env,
  PL_STACK_DIR: join(scratch, 'stack'),
  PL_POSTGRES_PORT: '25432',
  PL_KAFKA_PORT: '29092',
  PL_KAFKA_CONTROLLER_PORT: '29093',
  PL_MLFLOW_PORT: '25000',
  PL_S3_PORT: '29000',
};
for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'MLFLOW_TRACKING_URI', 'S3_ENDPOINT']) delete stackEnv[name];
const stack: StackConfig = loadStackConfig(stackEnv);
const services = new Map<Name, ServiceProcess>();
const recovery: Record<string, number> = {};
let completed = false;
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let env: Record<string, string>;
let db: pg.Pool;
let mlflow: MlflowClient;
let client: ReturnType<typeof clientBus>;

/** Starts one service's process; the gate is told where the replay-evaluator (started before it) listens. */
async function start(name: Name): Promise<ServiceProcess> {
  const replayEvaluator = services.get('replay-evaluator')?.address;
  const peers = name === 'promotion-gate' && replayEvaluator ? { REPLAY_EVALUATOR_URL: replayEvaluator } : {};
  const service = await startServiceProcess(stack.root, name, env, scratch, peers);
  services.set(name, service);
  return service;
}

async function ready(name: Name): Promise<{ ok: boolean; body: string }> {
  try {
    const response = await fetch(`${services.get(name)?.address}/readyz`, { signal: AbortSignal.timeout(5000) });
    return { ok: response.ok, body: await response.text() };
  } catch (error) {
    return { ok: false, body: (error as Error).message };
  }
}

async function allReady(): Promise<true | undefined> {
  for (const name of SERVICES) if (!(await ready(name)).ok) return undefined;
  return true;
}

/** Every service process still running: an outage must never end one. */
function assertAllAlive(): void {
  for (const [name, service] of services) assert.equal(service.child.exitCode, null, `${name} exited during the fault`);
}

async function row<T>(query: string, params: unknown[] = []): Promise<T | undefined> {
  return (await db.query(query, params)).rows[0] as T | undefined;
}

async function stopped(names: ComponentName[]): Promise<number> {
  await stackDown(stack, names);
  return Date.now();
}

before(async () => {
  await stackUp(stack);
  life = await isolatedLifecycle(stack, 'faults');
  env = {
    ...life.env,
    OBJECT_STORE_URL: `s3://${stack.s3.bucket}/faults-${life.id}`,
    TRAINING_AUTO_MODELS: 'planner',
    REGISTRY_POLL_SECONDS: '0',
    TRAINING_LOST_AFTER_SECONDS: '5',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  // The test's own pool sees the PostgreSQL restart too; its errors surface on its next query.
  db.on('error', () => undefined);
  mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
  client = clientBus(life.env, 'faults-upstream');
  for (const name of SERVICES) await start(name);
});

after(async () => {
  for (const service of services.values()) service.child.kill('SIGKILL');
  await client?.transport.close().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await stackDown(stack);
  if (Object.keys(recovery).length > 0) console.log(`recovery times (s): ${JSON.stringify(recovery)}`);
  if (!completed) {
    // What each service said last, for whoever reads a failed run's output.
    for (const name of SERVICES) {
      const log = readFileSync(join(scratch, `${name}.log`), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-15)
        .join('\n');
      console.log(`--- ${name}, last lines:\n${log}`);
    }
  }
  if (completed) rmSync(scratch, { recursive: true, force: true });
  else console.log(`service logs kept in ${scratch}`);
});

test('one lifecycle run through S3, MLflow, trainer, broker and database failures completes with exactly one of each', async () => {
  await publishSyntheticWorld(life.env, client.bus, { seed: 17, households: 300, weeks: 6 });
  await eventually(
    'the events ingested',
    async () => ((await row<{ n: number }>('select count(*)::int as n from exp.events'))?.n ?? 0) > 5000 || undefined,
    120_000,
  );

  // S3 and MLflow stopped for 60 s while the dataset builds: the build waits and retries instead of failing.
  const downSince = await stopped(['s3', 'mlflow']);
  const requested = await fetch(`${services.get('dataset-builder')?.address}/v1/datasets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${life.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: 'planner',
      window_start: '2026-01-01T00:00:00Z',
      window_end: '2026-03-01T00:00:00Z',
      dataset_date: '2026-03-01',
    }),
  });
  assert.equal(requested.status, 202);
  await eventually('a build attempt that failed on the outage', async () => {
    const build = await row<{ attempts: number; status: string }>('select attempts, status from exp.datasets');
    return build && build.attempts >= 1 ? build : undefined;
  });
  const readiness = await ready('dataset-builder');
  assert.equal(readiness.ok, false);
  assert.match(readiness.body, /objectStore/);
  assert.match(readiness.body, /mlflow/);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, downSince + OUTAGE_MS - Date.now())));
  assert.equal((await row<{ status: string }>('select status from exp.datasets'))?.status, 'pending', 'still retrying after 60 s');
  assertAllAlive();
  await stackUp(stack, ['s3', 'mlflow']);
  const s3Back = Date.now();
  await eventually(
    'the dataset built after S3 and MLflow returned',
    async () => ((await row<{ status: string }>('select status from exp.datasets'))?.status === 'ready' ? true : undefined),
    180_000,
  );
  recovery['s3+mlflow 60 s → dataset ready'] = (Date.now() - s3Back) / 1000;

  // trainer-dispatcher SIGKILLed while its trainer runs: the job runs again, the abandoned MLflow run ends KILLED.
  const first = await eventually(
    'the training job to be running',
    () =>
      row<{ job_id: string; mlflow_run_id: string }>(
        "select job_id, mlflow_run_id from exp.training_jobs where status = 'running' and mlflow_run_id is not null",
      ),
    120_000,
  );
  const dispatcher = services.get('trainer-dispatcher') as ServiceProcess;
  dispatcher.child.kill('SIGKILL');
  const killedAt = Date.now();
  await dispatcher.exited;
  await start('trainer-dispatcher');
  // The new attempt may already have finished when the restarted dispatcher listens (it joins its group only once the
  // killed member's session has expired): any status will do, what matters is that a second attempt ran.
  const second = await eventually(
    'the job to run again',
    () =>
      row<{ mlflow_run_id: string; started_at: Date }>(
        'select mlflow_run_id, started_at from exp.training_jobs where job_id = $1 and attempt = 2 and mlflow_run_id is not null',
        [first.job_id],
      ),
    60_000,
  );
  recovery['trainer-dispatcher SIGKILL → second attempt started (lost after 5 s)'] = (second.started_at.getTime() - killedAt) / 1000;
  assert.notEqual(second.mlflow_run_id, first.mlflow_run_id, 'a new MLflow run for the new attempt');

  await eventually(
    'the abandoned run ended KILLED',
    async () => (await mlflow.getRun(first.mlflow_run_id)).info.status === 'KILLED' || undefined,
    60_000,
  );

  const trained = await eventually(
    'training to end',
    async () => {
      const job = await row<{ status: string; error_message: string | null }>(
        'select status, error_message from exp.training_jobs where job_id = $1',
        [first.job_id],
      );
      return job && !['queued', 'running'].includes(job.status) ? job : undefined;
    },
    300_000,
  );
  assert.equal(trained.status, 'succeeded', `the retried job: ${trained.error_message}`);

  // PostgreSQL down for 60 s as training ends ("terminating connection due to administrator command"), MLflow's
  // backend store with it: every service keeps running, unready, and resumes when it returns.
  const pgDown = await stopped(['postgres']);
  await eventually('a service to report PostgreSQL unready', async () => (!(await ready('promotion-gate')).ok ? true : undefined), 30_000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, pgDown + OUTAGE_MS - Date.now())));
  assertAllAlive();
  await stackUp(stack, ['postgres']);
  const pgBack = Date.now();
  await eventually('every service ready after PostgreSQL returned', allReady, 120_000);
  recovery['postgres 60 s → all ready'] = (Date.now() - pgBack) / 1000;

  // The broker restarted: every consumer comes back by itself and the run moves on.
  await stopped(['kafka']);
  await eventually('a service to report Kafka unready', async () => (!(await ready('registry-sync')).ok ? true : undefined), 60_000);
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  assertAllAlive();
  await stackUp(stack, ['kafka']);
  const kafkaBack = Date.now();
  await eventually('every service ready after the broker returned', allReady, 180_000);
  recovery['kafka restart → all ready'] = (Date.now() - kafkaBack) / 1000;

  const decided = await eventually('the gate decision', () => row<{ outcome: string }>('select outcome from exp.gate_decisions'), 420_000);
  recovery['kafka back → gate decision'] = (Date.now() - kafkaBack) / 1000;
  assert.equal(decided.outcome, 'passed');
  assertAllAlive();

  const count = async (query: string) => (await row<{ n: number }>(query))?.n;
  assert.equal(await count('select count(*)::int as n from exp.datasets'), 1, 'one dataset version');
  assert.equal(await count("select count(*)::int as n from exp.training_jobs where status = 'succeeded'"), 1, 'one training job');
  assert.equal(
    await count('select count(*)::int as n from exp.policy_versions where mlflow_model_version is not null'),
    1,
    'one policy version',
  );
  assert.equal(await count('select count(*)::int as n from exp.gate_decisions'), 1, 'one decision');
  assert.equal(await count('select count(*)::int as n from exp.experiments'), 1, 'one experiment');
  const experimentId = await mlflow.getOrCreateExperiment(life.experiments.training);
  const runs = await mlflow.searchRuns([experimentId], '');
  assert.deepEqual(runs.map((r) => r.info.status).sort(), ['FINISHED', 'KILLED'], 'one successful run, the abandoned one killed');
  const versions = await mlflow.searchModelVersions(`name = '${env.REGISTERED_MODEL_NAME}'`);
  assert.equal(versions.length, 1, 'one model version');
  const parked = await count('select count(*)::int as n from exp.outbox_parked');
  assert.equal(parked, 0, 'nothing parked');
  // Work that failed during an outage and succeeded once it ended leaves nothing on a dead-letter topic.
  for (const topic of [
    'dataset.requested',
    'dataset.ready',
    'training.completed',
    'model.registered',
    'replay.shards',
    'replay.completed',
  ] as const) {
    assert.deepEqual(await deadLetterHeaders(client.transport, topic), [], `nothing dead-lettered from ${topic}`);
  }
  completed = true;
});

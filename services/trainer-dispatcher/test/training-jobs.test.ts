/**
 * The trainer-dispatcher's job control on the real stack: cancellation, the
 * timeout, a failing trainer's exit status and log, and idempotent requests.
 * The trainers are small Python scripts run as real child processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MlflowClient } from '@planner/mlflow-client';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, type RunningService, readTopic, startService } from '../../../scripts/local-lifecycle/lifecycle-services.ts';
import { useStack } from '../../../tests/support/stack.ts';

const stack = useStack('postgres', 'kafka', 'mlflow');
process.env.LOG_LEVEL ??= 'warn';
const recipes = mkdtempSync(join(tmpdir(), 'pl-recipes-'));
const common = {
  description: 'test trainer',
  architecture: 'fixture',
  backend: 'local',
  learning_rate: 0.1,
  batch_size: 1,
  epochs: 1,
  seed: 1,
};
writeFileSync(
  join(recipes, 'slow@1.json'),
  JSON.stringify({ ...common, recipe_id: 'slow@1', entrypoint: join(import.meta.dirname, 'fixtures', 'slow_trainer.py') }),
);
writeFileSync(
  join(recipes, 'failing@1.json'),
  JSON.stringify({ ...common, recipe_id: 'failing@1', entrypoint: join(import.meta.dirname, 'fixtures', 'failing_trainer.py') }),
);
writeFileSync(
  join(recipes, 'killed@1.json'),
  JSON.stringify({ ...common, recipe_id: 'killed@1', entrypoint: join(import.meta.dirname, 'fixtures', 'killed_trainer.py') }),
);
writeFileSync(
  join(recipes, 'planner-ranker@1.json'),
  JSON.stringify({ ...common, recipe_id: 'planner-ranker@1', entrypoint: 'trainers/planner_ranker.py' }),
);

let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let client: ReturnType<typeof clientBus>;
let service: RunningService;
const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });

before(async () => {
  life = await isolatedLifecycle(stack, 'jobs');
  client = clientBus(life.env, 'jobs-test');
  service = await startService('trainer-dispatcher', { ...life.env, TRAINING_RECIPES_DIR: recipes, TRAINING_AUTO_MODELS: '' });
  const ready = client.bus.event(
    'dataset.ready',
    {
      dataset_version: 'planner/2026-01-01',
      model_name: 'planner',
      location: 'file:///nowhere/',
      digest: 'd',
      row_count: 1,
      field_count: 24,
      split: { train: 1, validation: 0, evaluation: 0 },
      mlflow_run_id: 'r',
    },
    'jobs-test',
  );
  await client.bus.publish('dataset.ready', ready);
  await eventually('the dataset announced to the dispatcher', async () => {
    const response = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' }, 'probe');
    return response.status === 202 ? response : undefined;
  });
});

after(async () => {
  await service?.stop();
  await client?.transport.close();
  await life?.cleanup();
  rmSync(recipes, { recursive: true, force: true });
});

async function post(path: string, body: unknown, idempotencyKey?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.address}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${life.token}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function job(id: string) {
  return (await (await fetch(`${service.address}/v1/training-jobs/${id}`)).json()) as Record<string, unknown>;
}

async function finished(id: string) {
  return eventually(
    `job ${id} to end`,
    async () => {
      const j = await job(id);
      return ['queued', 'running'].includes(j.status as string) ? undefined : j;
    },
    60_000,
  );
}

async function failedEvent(jobId: string) {
  return eventually('training.failed', async () =>
    (await readTopic(client.transport, 'training.failed')).find((m) => m.event.job_id === jobId),
  );
}

test('a failing trainer: status failed, its exit status and log tail in the table and on training.failed', async () => {
  const { body } = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' }, 'probe');
  const ended = await finished(body.job_id as string);
  assert.equal(ended.status, 'failed');
  assert.equal(ended.exit_code, 3);
  assert.equal(ended.error_code, 'TRAINING_EXITED_NONZERO');
  assert.match(ended.log_tail as string, /CUDA out of memory/);
  const event = (await failedEvent(body.job_id as string)).event;
  assert.equal(event.exit_code, 3);
  assert.match(event.log_tail, /loading dataset\nCUDA out of memory/);
  assert.equal((await mlflow.getRun(event.run_id as string)).info.status, 'FAILED');
});

test('a trainer SIGKILLed before it attached (an OOM kill): failed with the signal named, and its MLflow run FAILED, not RUNNING', async () => {
  const { body } = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'killed@1' }, 'killed');
  const ended = await finished(body.job_id as string);
  assert.equal(ended.status, 'failed');
  assert.equal(ended.error_code, 'TRAINING_EXITED_NONZERO');
  const event = (await failedEvent(body.job_id as string)).event;
  assert.match(event.error_message, /killed by SIGKILL/);
  assert.equal((await mlflow.getRun(event.run_id as string)).info.status, 'FAILED');
});

test('the same Idempotency-Key gives the same job', async () => {
  const first = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' }, 'key-1');
  const second = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' }, 'key-1');
  assert.equal(first.body.job_id, second.body.job_id);
  await finished(first.body.job_id as string);
});

test('cancelling a running job stops its process, records it and announces it; its MLflow run is KILLED', async () => {
  const { body } = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'slow@1' });
  const id = body.job_id as string;
  await eventually('the trainer to print', async () => ((await job(id)).log_tail as string).includes('step 1') || undefined);
  const cancelled = await post(`/v1/training-jobs/${id}/cancel`, {});
  assert.equal(cancelled.status, 202);
  const ended = await finished(id);
  assert.equal(ended.status, 'cancelled');
  assert.equal(ended.error_code, 'TRAINING_CANCELLED');
  const event = (await failedEvent(id)).event;
  assert.equal(event.error_code, 'TRAINING_CANCELLED');
  assert.equal((await mlflow.getRun(event.run_id as string)).info.status, 'KILLED');
  const again = await post(`/v1/training-jobs/${id}/cancel`, {});
  assert.equal(again.status, 409);
});

test('a job past its timeout is stopped as timed_out', async () => {
  const { body } = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'slow@1', timeout_seconds: 2 });
  const ended = await finished(body.job_id as string);
  assert.equal(ended.status, 'timed_out');
  assert.equal(ended.error_code, 'TRAINING_TIMED_OUT');
  assert.match(ended.error_message as string, /longer than its timeout of 2 s/);
});

test("a job continues its request's trace: its outcome event carries the caller's trace id, or a trace of its own", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traced = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' }, undefined, {
    traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
  });
  const untraced = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' });
  const tracedEvent = await failedEvent(traced.body.job_id as string);
  assert.equal(tracedEvent.headers.traceparent?.split('-')[1], traceId, 'the trace the caller sent');
  const own = (await failedEvent(untraced.body.job_id as string)).headers.traceparent;
  assert.match(String(own), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.notEqual(own?.split('-')[1], traceId);
});

test("the run logs its dataset version as input with the whole digest, in the namespace's experiment, created by the dispatcher", async () => {
  const { body } = await post('/v1/training-jobs', { dataset_version: 'planner/2026-01-01', recipe_id: 'failing@1' });
  const run = await mlflow.getRun((await failedEvent(body.job_id as string)).event.run_id as string);
  assert.deepEqual(
    run.inputs.map((i) => ({ name: i.name, digest: i.digest, source: i.source, context: i.context, digestTag: i.tags?.dataset_digest })),
    [
      {
        name: 'planner/2026-01-01',
        digest: 'd',
        source: '{"uri":"file:///nowhere/training.parquet"}',
        context: 'training',
        digestTag: 'd',
      },
    ],
  );
  assert.equal(run.tags.dataset_digest, 'd');
  assert.equal(run.tags['mlflow.user'], 'trainer-dispatcher');
  assert.equal(run.tags['mlflow.source.name'], 'trainer-dispatcher');
  assert.equal(run.info.experimentId, await mlflow.getOrCreateExperiment(life.experiments.training));
});

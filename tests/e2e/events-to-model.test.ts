/**
 * Issue 4 end to end on the real stack: synthetic upstream events on Kafka →
 * ingestion (with dead letters) → a dataset version in the object store, read
 * by pyarrow → auto-training → registry version N announced on
 * model.registered; then redeliveries, a contract violation, the S3 path and a
 * version registered outside the pipeline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DLT_HEADER } from '@planner/bus';
import { DEFAULT_WORLD_START_MS, generateEventStream } from '@planner/domain';
import { toolsPython } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import { openObjectStore } from '@planner/object-store';
import pg from 'pg';
import { eventually } from '../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import {
  clientBus,
  deadLetterHeaders,
  publishSyntheticWorld,
  type RunningService,
  readTopic,
  startService,
} from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { ingestionProblems } from '../../services/dataset-builder/src/handlers/exp-events.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack('postgres', 'kafka', 'mlflow', 's3');
process.env.LOG_LEVEL ??= 'warn';

let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let client: ReturnType<typeof clientBus>;
let db: pg.Pool;
const services: Partial<Record<string, RunningService>> = {};
const folder = mkdtempSync(join(tmpdir(), 'pl-datasets-'));
const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
const python = toolsPython(stack);

before(async () => {
  life = await isolatedLifecycle(stack, 'e2e_model');
  db = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  client = clientBus(life.env, 'e2e-upstream');
  const env = { ...life.env, OBJECT_STORE_URL: pathToFileURL(folder).href, TRAINING_AUTO_MODELS: 'planner' };
  for (const name of ['dataset-builder', 'trainer-dispatcher', 'registry-sync'] as const) services[name] = await startService(name, env);
});

after(async () => {
  for (const service of Object.values(services)) await service?.stop();
  await client?.transport.close();
  await db?.end();
  await life?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

async function api(service: string, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${services[service]?.address}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${life.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function count(query: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query(query, params)).rows[0].n);
}

/** Reads a Parquet file with pyarrow (an independent reader) and returns its row count and column names. */
function pyarrowRead(location: string): { rows: number; columns: string[]; splits: Record<string, number> } {
  const script = `
import json, sys, os
import pyarrow.parquet as pq, pyarrow.fs as pafs
loc = sys.argv[1]
if loc.startswith('s3://'):
    ep = os.environ['S3_ENDPOINT']
    fs = pafs.S3FileSystem(endpoint_override=ep.split('://')[1], scheme=ep.split('://')[0], access_key=os.environ['AWS_ACCESS_KEY_ID'], secret_key=os.environ['AWS_SECRET_ACCESS_KEY'], region=os.environ['AWS_REGION'])
    t = pq.read_table(loc[5:], filesystem=fs)
else:
    t = pq.read_table(loc)
splits = {}
for s in t.column('split').to_pylist(): splits[s] = splits.get(s, 0) + 1
print(json.dumps({'rows': t.num_rows, 'columns': t.column_names, 'splits': splits}))
`;
  const result = spawnSync(python, ['-c', script, location], { encoding: 'utf8', env: { ...process.env, ...life.env } });
  assert.equal(result.status, 0, `pyarrow could not read ${location}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe('from upstream events to a registered model', () => {
  let datasetVersion: string;
  let runId: string;
  let modelVersion: string;

  test('ingestion stores valid events and dead-letters those without required metadata, naming the field', async () => {
    const world = { seed: 11, households: 120, weeks: 4, missingMetadataRate: 0.01 };
    const loaded = await publishSyntheticWorld(life.env, client.bus, world);
    assert.ok(loaded.events > 2000, `generated ${loaded.events} events`);
    // The generator nulls metadata on 1% of events; those whose type requires it must be dead-lettered.
    const invalid = [...generateEventStream({ ...world, startMs: DEFAULT_WORLD_START_MS })].filter(
      (e) => ingestionProblems(e).length > 0,
    ).length;
    assert.ok(invalid > 0);
    await eventually('every valid event ingested', async () =>
      (await count('select count(*) as n from exp.events')) === loaded.events - invalid ? true : undefined,
    );
    const dead = await eventually('the invalid events on exp.events.dlt', async () => {
      const found = await deadLetterHeaders(client.transport, 'exp.events');
      return found.length >= invalid ? found : undefined;
    });
    assert.equal(dead.length, invalid);
    for (const headers of dead) {
      assert.equal(headers[DLT_HEADER.errorCode], 'EVENT_METADATA_MISSING');
      assert.match(headers[DLT_HEADER.errorMessage] ?? '', /^(experiment_id|variant_id|policy_version_id) is required for plan_\w+/);
      assert.equal(headers[DLT_HEADER.originalTopic], 'exp.events');
    }
  });

  test('a dataset request over HTTP builds a version that pyarrow reads with the counts of schema.json and the summary', async () => {
    const requested = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: { model_name: 'planner', window_start: '2026-01-01T00:00:00Z', window_end: '2026-03-01T00:00:00Z', dataset_date: '2026-03-01' },
    });
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    datasetVersion = requested.body.dataset_version as string;
    assert.equal(datasetVersion, 'planner/2026-03-01');
    const ready = await eventually(
      'the dataset version to be ready',
      async () => {
        const { body } = await api('dataset-builder', `/v1/datasets/${datasetVersion}`);
        if (body.status === 'failed') throw new Error(`build failed: ${body.error}`);
        return body.status === 'ready' ? body : undefined;
      },
      60_000,
    );
    // A plan whose plan_generated event was dead-lettered has no input context, so it cannot be a row.
    const accepted = await count(
      `select count(distinct a.plan_id) as n from exp.events a where a.event_type = 'plan_accepted'
         and exists (select 1 from exp.events g where g.plan_id = a.plan_id and g.event_type = 'plan_generated')`,
    );
    assert.ok(accepted > 400);
    assert.equal(ready.row_count, accepted, 'one row per accepted plan');

    const store = openObjectStore(pathToFileURL(folder).href);
    assert.deepEqual(await store.list('datasets/planner/2026-03-01/'), [
      'datasets/planner/2026-03-01/dataset_summary.md',
      'datasets/planner/2026-03-01/recipes.parquet',
      'datasets/planner/2026-03-01/schema.json',
      'datasets/planner/2026-03-01/training.parquet',
    ]);
    const schema = JSON.parse((await store.get('datasets/planner/2026-03-01/schema.json')).toString()) as { fields: { name: string }[] };
    const summary = (await store.get('datasets/planner/2026-03-01/dataset_summary.md')).toString();
    const read = pyarrowRead(join(folder, 'datasets/planner/2026-03-01/training.parquet'));
    assert.equal(read.rows, ready.row_count);
    assert.deepEqual(
      read.columns,
      schema.fields.map((f) => f.name),
    );
    assert.equal(ready.field_count, schema.fields.length);
    assert.match(summary, new RegExp(`^Rows: ${read.rows.toLocaleString('en-US')}$`, 'm'));
    assert.match(summary, new RegExp(`^Fields: ${schema.fields.length}$`, 'm'));
    assert.deepEqual(
      read.splits,
      Object.fromEntries(Object.entries(ready.split_counts as Record<string, number>).filter(([, n]) => n > 0)),
    );

    const run = await mlflow.getRun(ready.mlflow_run_id as string);
    assert.equal(run.tags.dataset_version, datasetVersion);
    assert.equal(run.inputs[0]?.name, datasetVersion);
    assert.equal(run.inputs[0]?.digest, (ready.digest as string).slice(0, 36));
    assert.deepEqual((await mlflow.listArtifacts(run.info.runId)).map((a) => a.path).sort(), ['dataset_summary.md', 'schema.json']);
  });

  test('auto-training logs the contract to MLflow and registry-sync announces version N on model.registered', async () => {
    const registered = await eventually(
      'model.registered',
      async () => (await readTopic(client.transport, 'model.registered')).find((m) => m.event.dataset_version === datasetVersion),
      180_000,
    );
    runId = registered.event.run_id;
    modelVersion = registered.event.model_version;
    assert.equal(registered.event.model_name, life.env.REGISTERED_MODEL_NAME);
    assert.equal(registered.event.model_uri, `models:/${life.env.REGISTERED_MODEL_NAME}/${modelVersion}`);
    assert.equal(registered.event.registered_outside_pipeline, false);

    const run = await mlflow.getRun(runId);
    for (const param of ['learning_rate', 'batch_size', 'epochs', 'dataset_version', 'model_architecture'])
      assert.ok(run.params[param], `param ${param}`);
    assert.equal(run.params.dataset_version, datasetVersion);
    assert.equal(run.tags.task, 'planner');
    assert.equal(run.tags.dataset_version, datasetVersion);
    assert.equal(run.tags.policy_id, 'planner');
    assert.equal(run.info.status, 'FINISHED');
    const epochs = Number(run.params.epochs);
    assert.equal((await mlflow.getMetricHistory(runId, 'training_loss')).length, epochs);
    assert.equal((await mlflow.getMetricHistory(runId, 'validation_loss')).length, epochs);
    assert.ok(Number.isFinite(run.metrics.eval_score), 'eval_score logged');
    for (const folderName of ['model', 'tokenizer', 'config']) {
      assert.ok((await mlflow.listArtifacts(runId, folderName)).length > 0, `artifacts ${folderName}/`);
    }
    const version = await mlflow.getModelVersion(life.env.REGISTERED_MODEL_NAME as string, modelVersion);
    assert.equal(version.status, 'READY');
    assert.equal(version.runId, runId);
    const [job] = (await db.query('select status, mlflow_run_id from exp.training_jobs')).rows;
    assert.deepEqual(job, { status: 'succeeded', mlflow_run_id: runId });
  });

  test('redelivered and repeated events create no second dataset, run or version', async () => {
    const [original] = (await readTopic(client.transport, 'dataset.requested')).map((m) => m.event);
    assert.ok(original);
    await client.bus.publish('dataset.requested', original); // the same event again: the inbox drops it
    await client.bus.publish('dataset.requested', { ...original, event_id: randomUUID(), correlation_id: 'second-request' }); // same pins
    const [completed] = (await readTopic(client.transport, 'training.completed')).map((m) => m.event);
    assert.ok(completed);
    await client.bus.publish('training.completed', { ...completed, event_id: randomUUID() });
    await eventually('the second request answered from the finished version', async () =>
      (await readTopic(client.transport, 'dataset.ready')).find((m) => m.event.correlation_id === 'second-request'),
    );
    await eventually('the repeated training.completed handled', async () =>
      (await count("select count(*) as n from exp.processed_events where topic = 'training.completed'")) === 2 ? true : undefined,
    );
    const ready = (await readTopic(client.transport, 'dataset.ready')).map((m) => m.event);
    assert.equal(new Set(ready.map((e) => e.digest)).size, 1, 'same digest');
    assert.equal(new Set(ready.map((e) => e.mlflow_run_id)).size, 1, 'same MLflow dataset run');
    const experiment = await mlflow.getOrCreateExperiment(life.experiments.datasets);
    assert.equal(
      (await mlflow.searchRuns([experiment], `tags.dataset_version = '${datasetVersion}'`)).length,
      1,
      'one dataset registration',
    );
    assert.equal(await count('select count(*) as n from exp.datasets'), 1);
    assert.equal(await count('select count(*) as n from exp.training_jobs'), 1, 'one training job for the dataset version');
    const versions = await mlflow.searchModelVersions(`name='${life.env.REGISTERED_MODEL_NAME}' and run_id='${runId}'`);
    assert.deepEqual(
      versions.map((v) => v.version),
      [modelVersion],
    );
    assert.equal((await readTopic(client.transport, 'model.registered')).length, 1, 'announced once');
  });

  test('a run that misses contract items is rejected with each item named', async () => {
    const experiment = await mlflow.getOrCreateExperiment(life.experiments.training);
    const run = await mlflow.createRun({ experimentId: experiment, tags: { task: 'planner' } });
    await mlflow.logBatch(run.info.runId, {
      params: { learning_rate: '0.1', epochs: '1' },
      metrics: [{ key: 'training_loss', value: 0.5 }],
    });
    await mlflow.uploadArtifact(run.info.runId, 'model/model.json', '{}');
    await mlflow.updateRun(run.info.runId, 'FINISHED');
    await client.bus.publish(
      'training.completed',
      client.bus.event(
        'training.completed',
        {
          job_id: randomUUID(),
          run_id: run.info.runId,
          dataset_version: datasetVersion,
          recipe: 'hand-made@1',
          backend: 'notebook',
          duration_seconds: 1,
        },
        'contract-check',
      ),
    );
    const rejected = await eventually('model.rejected', async () =>
      (await readTopic(client.transport, 'model.rejected')).find((m) => m.event.run_id === run.info.runId),
    );
    assert.deepEqual(rejected.event.missing, [
      'params.batch_size',
      'params.dataset_version',
      'params.model_architecture',
      'metrics.validation_loss',
      'artifacts.model/MLmodel (model/ is not an MLflow model: save it with an MLflow flavour)',
      'artifacts.tokenizer',
      'artifacts.config',
      'tags.dataset_version',
      'tags.policy_id',
    ]);
    assert.equal((await mlflow.searchModelVersions(`name='${life.env.REGISTERED_MODEL_NAME}' and run_id='${run.info.runId}'`)).length, 0);
  });

  test('a version registered outside the pipeline is noticed and announced as such', async () => {
    const name = life.env.REGISTERED_MODEL_NAME as string;
    const source = await mlflow.getRun(runId);
    const outside = await mlflow.createModelVersion({ name, source: `${source.info.artifactUri}/model`, runId });
    const announced = await eventually(
      'the outside version on model.registered',
      async () => (await readTopic(client.transport, 'model.registered')).find((m) => m.event.model_version === outside.version),
      30_000,
    );
    assert.equal(announced.event.registered_outside_pipeline, true);
    assert.equal(announced.event.dataset_version, datasetVersion);
  });

  test('the S3 path: a dataset-builder configured for S3 writes a version pyarrow reads from the bucket', async () => {
    await services['dataset-builder']?.stop();
    const prefix = `e2e-${life.id}`;
    services['dataset-builder'] = await startService('dataset-builder', {
      ...life.env,
      OBJECT_STORE_URL: `s3://${stack.s3.bucket}/${prefix}`,
    });
    const requested = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: { model_name: 'planner', window_start: '2026-01-01T00:00:00Z', window_end: '2026-02-01T00:00:00Z', dataset_date: '2026-02-01' },
    });
    assert.equal(requested.status, 202);
    const ready = await eventually(
      'the S3 dataset version',
      async () => {
        const { body } = await api('dataset-builder', '/v1/datasets/planner/2026-02-01');
        if (body.status === 'failed') throw new Error(`build failed: ${body.error}`);
        return body.status === 'ready' ? body : undefined;
      },
      60_000,
    );
    assert.equal(ready.location, `s3://${stack.s3.bucket}/${prefix}/datasets/planner/2026-02-01/`);
    const read = pyarrowRead(`${ready.location}training.parquet`);
    assert.equal(read.rows, ready.row_count);
    assert.ok(read.rows > 0);
  });

  test('bad HTTP requests get a precise 4xx and change nothing', async () => {
    const missing = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: { model_name: 'planner', window_start: 'yesterday' },
    });
    assert.equal(missing.status, 400);
    assert.match(String((missing.body.error as { message: string }).message), /window_start must match format "date-time"/);
    assert.match(String((missing.body.error as { message: string }).message), /must have required property 'window_end'/);
    const conflict = await api('dataset-builder', '/v1/datasets', {
      method: 'POST',
      body: { model_name: 'planner', window_start: '2025-01-01T00:00:00Z', window_end: '2026-03-01T00:00:00Z', dataset_date: '2026-03-01' },
    });
    assert.equal(conflict.status, 409);
    const unknownRecipe = await api('trainer-dispatcher', '/v1/training-jobs', {
      method: 'POST',
      body: { dataset_version: datasetVersion, recipe_id: 'nope@1' },
    });
    assert.equal(unknownRecipe.status, 404);
    assert.match(String((unknownRecipe.body.error as { message: string }).message), /no training recipe 'nope@1'; known: /);
    const unauthenticated = await fetch(`${services['trainer-dispatcher']?.address}/v1/training-jobs`, { method: 'POST' });
    assert.equal(unauthenticated.status, 401);
  });
});

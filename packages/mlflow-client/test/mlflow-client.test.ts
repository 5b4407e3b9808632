import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { uniqueName, useStack } from '../../../tests/support/stack.ts';
import { MlflowClient } from '../src/mlflow-client.ts';
import { mlflowConfigFromEnv } from '../src/mlflow-config.ts';
import type { DatasetInput, MlflowRun } from '../src/mlflow-entities.ts';
import { MlflowError } from '../src/mlflow-error.ts';
import { MlflowHttp } from '../src/mlflow-http.ts';

// Against the real server: fails, naming it, when MLflow does not answer.
const stack = useStack('mlflow');
const config = mlflowConfigFromEnv({ ...process.env, MLFLOW_TRACKING_URI: stack.mlflow.trackingUri });
const client = new MlflowClient(config);

let experimentId: string;
let run: MlflowRun;
before(async () => {
  experimentId = await client.getOrCreateExperiment(uniqueName('mlflow-client-test'));
  run = await client.createRun({ experimentId, runName: 'client-test', tags: { suite: 'mlflow-client' } });
});

function rejectsWith(code: string, mlflowErrorCode?: string) {
  return (error: unknown) =>
    error instanceof MlflowError && error.code === code && (mlflowErrorCode === undefined || error.mlflowErrorCode === mlflowErrorCode);
}

test('ping resolves while the server serves tracking requests', async () => {
  await client.ping();
});

test('get-or-create returns the same experiment every time, also when callers race to create it', async () => {
  const name = uniqueName('mlflow-client-experiment');
  const first = await client.getOrCreateExperiment(name);
  assert.equal(await client.getOrCreateExperiment(name), first);

  const raced = uniqueName('mlflow-client-race');
  const ids = await Promise.all(Array.from({ length: 4 }, () => client.getOrCreateExperiment(raced)));
  assert.equal(new Set(ids).size, 1);
});

test('a deleted experiment is not silently reused', async () => {
  const name = uniqueName('mlflow-client-deleted');
  const id = await client.getOrCreateExperiment(name);
  await new MlflowHttp(config).json({ method: 'POST', path: '/api/2.0/mlflow/experiments/delete', json: { experiment_id: id } });
  await assert.rejects(client.getOrCreateExperiment(name), rejectsWith('MLFLOW_EXPERIMENT_DELETED'));
});

test('a new run is RUNNING under its experiment, with its name, tags and an mlflow-artifacts root', () => {
  assert.equal(run.info.experimentId, experimentId);
  assert.equal(run.info.runName, 'client-test');
  assert.equal(run.info.status, 'RUNNING');
  assert.equal(run.tags.suite, 'mlflow-client');
  assert.match(run.info.artifactUri, new RegExp(`^mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts$`));
});

test("a run created with an identity shows the service as MLflow's user and source, over the caller's own tags", async () => {
  const created = await client.createRun({
    experimentId,
    runName: 'with-identity',
    tags: { task: 'planner', 'mlflow.user': 'someone' },
    identity: { service: 'replay-evaluator', gitCommit: '3f2a9c1' },
  });
  const { tags } = await client.getRun(created.info.runId);
  assert.equal(tags.task, 'planner');
  assert.equal(tags['mlflow.user'], 'replay-evaluator');
  assert.equal(tags['mlflow.source.type'], 'JOB');
  assert.equal(tags['mlflow.source.name'], 'replay-evaluator');
  assert.equal(tags['mlflow.source.git.commit'], '3f2a9c1');
});

test('the server itself refuses 101 params in one log-batch request, which is why logBatch splits', async () => {
  const params = Array.from({ length: 101 }, (_, i) => ({ key: `raw${i}`, value: 'v' }));
  await assert.rejects(
    new MlflowHttp(config).json({ method: 'POST', path: '/api/2.0/mlflow/runs/log-batch', json: { run_id: run.info.runId, params } }),
    rejectsWith('MLFLOW_REQUEST_FAILED', 'INVALID_PARAMETER_VALUE'),
  );
});

test('logBatch of 250 params, 1500 metrics and 120 tags: every one of them reaches the run', async () => {
  const { runId } = (await client.createRun({ experimentId, runName: 'big-batch' })).info;
  const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`param_${i}`, `value ${i}`]));
  const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`tag_${i}`, `t${i}`]));
  const metrics = [
    ...Array.from({ length: 1000 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), step, timestamp: 1_000 + step })),
    ...Array.from({ length: 500 }, (_, step) => ({ key: 'accuracy', value: step / 500, step })),
  ];
  await client.logBatch(runId, { params, metrics, tags });

  const logged = await client.getRun(runId);
  assert.deepEqual(logged.params, params);
  for (const [key, value] of Object.entries(tags)) assert.equal(logged.tags[key], value);
  assert.equal(logged.metrics.loss, 1 / 1000);
  assert.equal(logged.metrics.accuracy, 499 / 500);

  const loss = (await client.getMetricHistory(runId, 'loss')).sort((a, b) => a.step - b.step);
  assert.equal(loss.length, 1000);
  assert.deepEqual(loss[999], { key: 'loss', value: 1 / 1000, timestamp: 1_999, step: 999 });
  assert.equal((await client.getMetricHistory(runId, 'accuracy')).length, 500);
});

test('a param cannot change value once logged: the error carries MLflow’s code', async () => {
  await client.logBatch(run.info.runId, { params: { seed: '1' } });
  await assert.rejects(
    client.logBatch(run.info.runId, { params: { seed: '2' } }),
    rejectsWith('MLFLOW_REQUEST_FAILED', 'INVALID_PARAMETER_VALUE'),
  );
});

test('logged dataset inputs come back with the run, context included', async () => {
  const datasets: DatasetInput[] = [
    {
      name: 'planner-training',
      digest: 'a1b2c3d4',
      sourceType: 's3',
      source: JSON.stringify({ uri: 's3://planner-lifecycle/datasets/2026-11-26/training.parquet' }),
      schema: JSON.stringify({ mlflow_colspec: [{ name: 'meal_id', type: 'long' }] }),
      profile: JSON.stringify({ num_rows: 1200 }),
      context: 'training',
      tags: { split_seed: '7' },
    },
    {
      name: 'planner-validation',
      digest: 'e5f6a7b8',
      sourceType: 's3',
      source: '{"uri": "s3://b/v.parquet"}',
      context: 'validation',
      tags: {},
    },
  ];
  await client.logInputs(run.info.runId, datasets);
  const inputs = (await client.getRun(run.info.runId)).inputs;
  assert.deepEqual(
    inputs.sort((a, b) => a.name.localeCompare(b.name)),
    datasets,
  );
});

test('a dataset version logged as an input: digest cut to what MLflow takes, the whole digest in the run tag and the input tag', async () => {
  const { runId } = (await client.createRun({ experimentId, runName: 'dataset-version' })).info;
  const digest = 'f'.repeat(64);
  const uri = 's3://planner-lifecycle/datasets/planner/2026-11-26/training.parquet';
  await client.logDatasetVersion(runId, { version: 'planner/2026-11-26', digest, uri, context: 'training' });
  const logged = await client.getRun(runId);
  assert.equal(logged.tags.dataset_digest, digest);
  assert.deepEqual(logged.inputs, [
    {
      name: 'planner/2026-11-26',
      digest: 'f'.repeat(36),
      sourceType: 's3',
      source: JSON.stringify({ uri }),
      context: 'training',
      tags: { dataset_digest: digest },
    },
  ]);
});

test('artifacts go up and come back through the server, nested paths included', async () => {
  const { runId } = run.info;
  const summary = JSON.stringify({ accuracy: 0.91 });
  const binary = Buffer.from([0, 1, 2, 254, 255]);
  await client.uploadArtifact(runId, 'reports/eval/summary.json', summary, 'application/json');
  await client.uploadArtifact(runId, 'reports/eval/weights.bin', binary);

  assert.deepEqual(
    (await client.listArtifacts(runId)).filter((e) => e.path === 'reports'),
    [{ path: 'reports', isDir: true }],
  );
  assert.deepEqual(
    (await client.listArtifacts(runId, 'reports/eval')).sort((a, b) => a.path.localeCompare(b.path)),
    [
      { path: 'reports/eval/summary.json', isDir: false, fileSize: Buffer.byteLength(summary) },
      { path: 'reports/eval/weights.bin', isDir: false, fileSize: 5 },
    ],
  );
  assert.equal((await client.downloadArtifact(runId, 'reports/eval/summary.json')).toString('utf8'), summary);
  assert.deepEqual(await client.downloadArtifact(runId, 'reports/eval/weights.bin'), binary);
});

test('a run ends FINISHED with an end time, and search finds it by tag', async () => {
  const { runId } = (await client.createRun({ experimentId, runName: 'to-finish' })).info;
  const marker = uniqueName('marker');
  await client.setTag(runId, 'marker', marker);
  await client.updateRun(runId, 'FINISHED');
  const finished = await client.getRun(runId);
  assert.equal(finished.info.status, 'FINISHED');
  assert.ok((finished.info.endTime ?? 0) >= (finished.info.startTime ?? Number.POSITIVE_INFINITY));

  const found = await client.searchRuns([experimentId], `tags.marker = '${marker}'`);
  assert.deepEqual(
    found.map((r) => r.info.runId),
    [runId],
  );
});

test('a run that does not exist is MLFLOW_NOT_FOUND', async () => {
  await assert.rejects(client.getRun('0123456789abcdef0123456789abcdef'), rejectsWith('MLFLOW_NOT_FOUND', 'RESOURCE_DOES_NOT_EXIST'));
});

test("model registry: a version from the run's artifacts becomes READY, takes a tag and an alias, and is found by run", async () => {
  const name = uniqueName('planner_model');
  const { runId, artifactUri } = run.info;
  await client.uploadArtifact(runId, 'model/MLmodel', 'artifact_path: model\nflavors: {}\n', 'text/yaml');

  await client.createRegisteredModel(name);
  await client.createRegisteredModel(name); // idempotent
  const created = await client.createModelVersion({ name, source: `${artifactUri}/model`, runId, tags: { origin: 'test' } });
  assert.equal(created.version, '1');
  assert.equal(created.runId, runId);

  const ready = await client.waitForModelVersionReady(name, created.version, 30_000);
  assert.equal(ready.status, 'READY');
  assert.equal(ready.source, `${artifactUri}/model`);
  assert.equal('currentStage' in ready, false);

  await client.setModelVersionTag(name, created.version, 'stage', 'candidate');
  await client.setRegisteredModelAlias(name, 'production', created.version);
  const production = await client.getModelVersionByAlias(name, 'production');
  assert.equal(production.version, created.version);
  assert.deepEqual(production.tags, { origin: 'test', stage: 'candidate' });
  assert.deepEqual(production.aliases, ['production']);

  const found = await client.searchModelVersions(`name='${name}' and run_id='${runId}'`);
  assert.deepEqual(
    found.map((v) => v.version),
    [created.version],
  );

  await client.deleteRegisteredModelAlias(name, 'production');
  await assert.rejects(client.getModelVersionByAlias(name, 'production'), rejectsWith('MLFLOW_NOT_FOUND'));
  await client.deleteModelVersionTag(name, created.version, 'stage');
  assert.deepEqual((await client.getModelVersion(name, created.version)).tags, { origin: 'test' });
});

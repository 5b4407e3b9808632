/**
 * The dataset's MLflow run against the real server: who made it (MLflow's
 * User and Source columns), the dataset as an input with the whole digest
 * beside it, and a second registration of the same bytes reusing the run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { uniqueName, useStack } from '../../../tests/support/stack.ts';
import type { DatasetFiles } from '../src/dataset-files.ts';
import { DatasetProfile } from '../src/dataset-profile.ts';
import { registerDataset } from '../src/dataset-registration.ts';

const stack = useStack('mlflow');
const mlflow = new MlflowClient(mlflowConfigFromEnv({ ...process.env, MLFLOW_TRACKING_URI: stack.mlflow.trackingUri }));
const digest = 'c'.repeat(64);
let scratch: string;
let built: DatasetFiles;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'dataset-registration-'));
  const schema = join(scratch, 'schema.json');
  const summary = join(scratch, 'dataset_summary.md');
  await writeFile(schema, '{"fields": []}');
  await writeFile(summary, '# summary\n');
  built = {
    files: [
      { name: 'schema.json', path: schema, contentType: 'application/json' },
      { name: 'dataset_summary.md', path: summary, contentType: 'text/markdown' },
    ],
    profile: new DatasetProfile(),
    digest,
    fieldCount: 12,
    recipeCount: 3,
  };
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

test('the dataset run names dataset-builder as its user and source, and carries the dataset input with its whole digest', async () => {
  const experiment = uniqueName('dataset-registration');
  const version = { datasetVersion: 'planner/2026-11-26', modelName: 'planner', location: 's3://lifecycle/datasets/planner/2026-11-26/' };
  const runId = await registerDataset(mlflow, experiment, version, built);
  const run = await mlflow.getRun(runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.tags['mlflow.user'], 'dataset-builder');
  assert.equal(run.tags['mlflow.source.type'], 'JOB');
  assert.equal(run.tags['mlflow.source.name'], 'dataset-builder');
  assert.equal(run.tags.dataset_digest, digest);
  assert.equal(run.inputs.length, 1);
  const [input] = run.inputs;
  assert.equal(input?.name, 'planner/2026-11-26');
  assert.equal(input?.digest, digest.slice(0, 36));
  assert.equal(input?.sourceType, 's3');
  assert.equal(input?.source, JSON.stringify({ uri: `${version.location}training.parquet` }));
  assert.equal(input?.context, 'training');
  assert.deepEqual(input?.tags, { dataset_digest: digest });

  assert.equal(await registerDataset(mlflow, experiment, version, built), runId, 'the same bytes again: the same run');
});

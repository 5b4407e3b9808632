import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MlflowClient } from '@planner/mlflow-client';
import { uniqueName, useStack } from '../../../tests/support/stack.ts';
import { contractViolations, nonEmptyArtifactFolders } from '../src/logging-contract.ts';

const stack = useStack('mlflow');

const complete = {
  params: {
    learning_rate: '0.05',
    batch_size: '256',
    epochs: '8',
    dataset_version: 'planner/2026-11-26',
    model_architecture: 'planner-ranker',
  },
  metrics: { training_loss: 0.31, validation_loss: 0.35 },
  tags: { task: 'planner', dataset_version: 'planner/2026-11-26', policy_id: 'planner' },
};
const artifacts = new Set(['model', 'model/MLmodel', 'model/model.json', 'tokenizer', 'config']);

test('a run that logs everything of seed §3.2 passes', () => {
  assert.deepEqual(contractViolations(complete, artifacts), []);
});

test('every missing or wrong item is named', () => {
  const run = {
    params: { learning_rate: '0.05', dataset_version: 'planner/2026-11-26' },
    metrics: { training_loss: 0.3, validation_loss: Number.NaN },
    tags: { task: 'ranking', dataset_version: 'planner/2026-11-20' },
  };
  assert.deepEqual(contractViolations(run, new Set(['model'])), [
    'params.batch_size',
    'params.epochs',
    'params.model_architecture',
    'metrics.validation_loss',
    'artifacts.model/MLmodel (model/ is not an MLflow model: save it with an MLflow flavour)',
    'artifacts.tokenizer',
    'artifacts.config',
    "tags.task=planner (found 'ranking')",
    'tags.policy_id',
    "tags.dataset_version=planner/2026-11-26 (found 'planner/2026-11-20')",
  ]);
});

test('model/ must be an MLflow model: raw files without an MLmodel are not registered', () => {
  const rawFiles = new Set(['model', 'model/model.json', 'tokenizer', 'config']);
  assert.deepEqual(contractViolations(complete, rawFiles), [
    'artifacts.model/MLmodel (model/ is not an MLflow model: save it with an MLflow flavour)',
  ]);
  // No model/ at all is one item, not two.
  assert.deepEqual(contractViolations(complete, new Set(['tokenizer', 'config'])), ['artifacts.model']);
});

test('the artifacts a run is checked on: its non-empty top-level folders and what is directly in them', async () => {
  const mlflow = new MlflowClient({ trackingUri: stack.mlflow.trackingUri });
  const run = await mlflow.createRun({ experimentId: await mlflow.getOrCreateExperiment(uniqueName('logging-contract-test')) });
  const runId = run.info.runId;
  await mlflow.uploadArtifact(runId, 'model/MLmodel', 'flavors: {}\n', 'text/yaml');
  await mlflow.uploadArtifact(runId, 'model/artifacts/model.json', '{}', 'application/json');
  await mlflow.uploadArtifact(runId, 'tokenizer/tokenizer.json', '{}', 'application/json');
  await mlflow.uploadArtifact(runId, 'notes.txt', 'not in a folder');
  assert.deepEqual([...(await nonEmptyArtifactFolders(mlflow, runId))].sort(), [
    'model',
    'model/MLmodel',
    'model/artifacts',
    'tokenizer',
    'tokenizer/tokenizer.json',
  ]);
});

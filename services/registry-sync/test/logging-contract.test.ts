import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractViolations } from '../src/logging-contract.ts';

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
const artifacts = new Set(['model', 'tokenizer', 'config']);

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
    'artifacts.tokenizer',
    'artifacts.config',
    "tags.task=planner (found 'ranking')",
    'tags.policy_id',
    "tags.dataset_version=planner/2026-11-26 (found 'planner/2026-11-20')",
  ]);
});

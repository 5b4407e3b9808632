import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:15432/db', KAFKA_BROKERS: '127.0.0.1:19092', AUTH_TOKENS: 't'.repeat(16) };

test('the training experiment follows the naming rule: the namespace in front when there is one', () => {
  assert.equal(readConfig(base).mlflowExperiment, 'planner-training');
  assert.equal(readConfig({ ...base, KAFKA_NAMESPACE: 'ci_42.' }).mlflowExperiment, 'ci_42/planner-training');
  assert.equal(
    readConfig({ ...base, KAFKA_NAMESPACE: 'ci_42.', TRAINING_MLFLOW_EXPERIMENT: 'training-eu' }).mlflowExperiment,
    'ci_42/training-eu',
  );
});

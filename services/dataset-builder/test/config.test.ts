import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:15432/db', KAFKA_BROKERS: '127.0.0.1:19092', AUTH_TOKENS: 't'.repeat(16) };

test('the datasets experiment follows the naming rule: the namespace in front when there is one', () => {
  assert.equal(readConfig(base).mlflowExperiment, 'planner-datasets');
  assert.equal(readConfig({ ...base, KAFKA_NAMESPACE: 'ci_42.' }).mlflowExperiment, 'ci_42/planner-datasets');
  assert.equal(
    readConfig({ ...base, KAFKA_NAMESPACE: 'ci_42.', DATASET_MLFLOW_EXPERIMENT: 'datasets-eu' }).mlflowExperiment,
    'ci_42/datasets-eu',
  );
});

test('DATASET_INGEST_WAIT_SECONDS: 600 s unless set; a value that is not a whole number of seconds stops start-up naming it', () => {
  assert.equal(readConfig(base).ingestWaitSeconds, 600);
  assert.equal(readConfig({ ...base, DATASET_INGEST_WAIT_SECONDS: '30' }).ingestWaitSeconds, 30);
  assert.throws(() => readConfig({ ...base, DATASET_INGEST_WAIT_SECONDS: 'soon' }), /DATASET_INGEST_WAIT_SECONDS/);
  assert.throws(() => readConfig({ ...base, DATASET_INGEST_WAIT_SECONDS: '0' }), /DATASET_INGEST_WAIT_SECONDS/);
});

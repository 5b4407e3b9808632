import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:15432/db', KAFKA_BROKERS: '127.0.0.1:19092', AUTH_TOKENS: 't'.repeat(16) };

test('the replays experiment follows the naming rule: namespaces no longer share planner-replays', () => {
  assert.equal(readConfig(base).mlflowExperiment, 'planner-replays');
  assert.equal(readConfig({ ...base, KAFKA_NAMESPACE: 'ci_42.' }).mlflowExperiment, 'ci_42/planner-replays');
  assert.equal(readConfig({ ...base, KAFKA_NAMESPACE: 'ci_43.' }).mlflowExperiment, 'ci_43/planner-replays');
});

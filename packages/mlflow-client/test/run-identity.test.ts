import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runIdentity, runIdentityTags } from '../src/run-identity.ts';

test("a service is the run's user and its source, a job; the commit comes from GIT_COMMIT", () => {
  assert.deepEqual(runIdentityTags(runIdentity('replay-evaluator', { GIT_COMMIT: ' 3f2a9c1 ' })), {
    'mlflow.user': 'replay-evaluator',
    'mlflow.source.type': 'JOB',
    'mlflow.source.name': 'replay-evaluator',
    'mlflow.source.git.commit': '3f2a9c1',
  });
});

test('an unknown commit is left out, not written empty', () => {
  for (const env of [{}, { GIT_COMMIT: '' }, { GIT_COMMIT: '  ' }]) {
    assert.deepEqual(runIdentityTags(runIdentity('dataset-builder', env)), {
      'mlflow.user': 'dataset-builder',
      'mlflow.source.type': 'JOB',
      'mlflow.source.name': 'dataset-builder',
    });
  }
});

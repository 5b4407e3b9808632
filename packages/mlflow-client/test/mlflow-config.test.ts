import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mlflowConfigFromEnv } from '../src/mlflow-config.ts';
import { MlflowError } from '../src/mlflow-error.ts';

function configError(pattern: RegExp) {
  return (error: unknown) => error instanceof MlflowError && error.code === 'MLFLOW_CONFIG_INVALID' && pattern.test(error.message);
}

test('the tracking URI alone gives an unauthenticated config, without a trailing slash', () => {
  assert.deepEqual(mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:15000/' }), { trackingUri: 'http://127.0.0.1:15000' });
  assert.deepEqual(mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'https://mlflow.example.com/proxy' }), {
    trackingUri: 'https://mlflow.example.com/proxy',
  });
});

test('a missing or non-http tracking URI is refused, naming the variable', () => {
  assert.throws(() => mlflowConfigFromEnv({}), configError(/^MLFLOW_TRACKING_URI is not set/));
  assert.throws(() => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: '' }), configError(/^MLFLOW_TRACKING_URI is not set/));
  assert.throws(
    () => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'localhost:5000' }),
    configError(/^MLFLOW_TRACKING_URI must be an http\(s\) URL/),
  );
  assert.throws(
    () => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' }),
    configError(/^MLFLOW_TRACKING_URI must be an http\(s\) URL/),
  );
  assert.throws(
    () => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'not a url' }),
    configError(/^MLFLOW_TRACKING_URI must be an http\(s\) URL/),
  );
});

test('username and password give basic auth; one without the other names the missing one', () => {
  const uri = { MLFLOW_TRACKING_URI: 'http://mlflow:5000' };
  assert.deepEqual(mlflowConfigFromEnv({ ...uri, MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 's3cret' }).auth, {
    kind: 'basic',
    username: 'ann',
    password: 's3cret',
  });
  assert.throws(() => mlflowConfigFromEnv({ ...uri, MLFLOW_TRACKING_USERNAME: 'ann' }), configError(/MLFLOW_TRACKING_PASSWORD is not/));
  assert.throws(() => mlflowConfigFromEnv({ ...uri, MLFLOW_TRACKING_PASSWORD: 's3cret' }), configError(/MLFLOW_TRACKING_USERNAME is not/));
});

test('a token gives bearer auth; as in MLflow, basic auth wins when both are set', () => {
  const uri = { MLFLOW_TRACKING_URI: 'http://mlflow:5000' };
  assert.deepEqual(mlflowConfigFromEnv({ ...uri, MLFLOW_TRACKING_TOKEN: 'tok' }).auth, { kind: 'bearer', token: 'tok' });
  assert.equal(
    mlflowConfigFromEnv({ ...uri, MLFLOW_TRACKING_TOKEN: 'tok', MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' }).auth
      ?.kind,
    'basic',
  );
});

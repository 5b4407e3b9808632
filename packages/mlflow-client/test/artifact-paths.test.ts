import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactProxyPath } from '../src/artifact-paths.ts';
import { MlflowError } from '../src/mlflow-error.ts';

test("a run's mlflow-artifacts root becomes a path under the server's artifact proxy", () => {
  assert.equal(
    artifactProxyPath('mlflow-artifacts:/3/abc/artifacts', 'reports/eval/summary.json'),
    '/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/reports/eval/summary.json',
  );
  assert.equal(
    artifactProxyPath('mlflow-artifacts://mlflow.internal:5000/3/abc/artifacts/', 'model/MLmodel'),
    '/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/model/MLmodel',
  );
  assert.equal(
    artifactProxyPath('mlflow-artifacts:/3/abc/artifacts', 'a b/c#d?.txt'),
    '/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/a%20b/c%23d%3F.txt',
  );
});

test('a root the server does not proxy, or a path leaving the run, is refused', () => {
  const refused = (code: string) => (error: unknown) => error instanceof MlflowError && error.code === code;
  assert.throws(() => artifactProxyPath('s3://bucket/3/abc/artifacts', 'x'), refused('MLFLOW_ARTIFACT_URI_UNSUPPORTED'));
  for (const path of ['../other-run/artifacts/x', '/etc/passwd', 'a//b', 'a/./b', '']) {
    assert.throws(() => artifactProxyPath('mlflow-artifacts:/3/abc/artifacts', path), refused('MLFLOW_ARTIFACT_PATH_INVALID'), path);
  }
});

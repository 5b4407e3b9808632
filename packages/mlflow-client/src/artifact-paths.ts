import { MlflowError } from './mlflow-error.ts';

/** Where the server proxies its artifact store (`mlflow server --serve-artifacts`). */
export const ARTIFACT_PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * A path relative to a run's artifact root: `/`-separated, not absolute, no
 * empty, `.` or `..` segments. Checked here because URL parsing would
 * silently resolve `..` and reach outside the run.
 */
export function checkArtifactPath(relativePath: string): string {
  const segments = relativePath.split('/');
  if (relativePath.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new MlflowError(
      'MLFLOW_ARTIFACT_PATH_INVALID',
      `artifact path '${relativePath}' must be relative, without empty, '.' or '..' segments`,
    );
  }
  return relativePath;
}

/**
 * The server path that reads or writes `relativePath` under a run's
 * `mlflow-artifacts:` root (`mlflow-artifacts:/1/<run>/artifacts`, or with a
 * host: `mlflow-artifacts://host:5000/1/<run>/artifacts`).
 */
export function artifactProxyPath(artifactUri: string, relativePath: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+?)\/*$/.exec(artifactUri);
  if (!match?.[1]) {
    throw new MlflowError(
      'MLFLOW_ARTIFACT_URI_UNSUPPORTED',
      `artifact URI '${artifactUri}' is not served by the MLflow server (expected mlflow-artifacts:/...); start the server with --serve-artifacts`,
    );
  }
  const segments = [...match[1].split('/'), ...checkArtifactPath(relativePath).split('/')];
  return `${ARTIFACT_PROXY_PATH}/${segments.map(encodeURIComponent).join('/')}`;
}

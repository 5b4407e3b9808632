import { MlflowError } from './mlflow-error.ts';

export type MlflowAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface MlflowConfig {
  /** The server's base URL, without a trailing slash. */
  trackingUri: string;
  auth?: MlflowAuth;
}

/**
 * Reads the variables MLflow's own clients read, so one environment serves
 * both. As in MLflow, username and password win over a token when both are set.
 */
export function mlflowConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MlflowConfig {
  const raw = env.MLFLOW_TRACKING_URI;
  if (!raw)
    throw new MlflowError(
      'MLFLOW_CONFIG_INVALID',
      'MLFLOW_TRACKING_URI is not set; point it at the MLflow server, e.g. http://127.0.0.1:15000',
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MlflowError('MLFLOW_CONFIG_INVALID', `MLFLOW_TRACKING_URI must be an http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowError('MLFLOW_CONFIG_INVALID', `MLFLOW_TRACKING_URI must be an http(s) URL of an MLflow server, got '${raw}'`);
  }
  const trackingUri = raw.replace(/\/+$/, '');

  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && !password)
    throw new MlflowError('MLFLOW_CONFIG_INVALID', 'MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not');
  if (password && !username)
    throw new MlflowError('MLFLOW_CONFIG_INVALID', 'MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not');
  if (username && password) return { trackingUri, auth: { kind: 'basic', username, password } };
  if (env.MLFLOW_TRACKING_TOKEN) return { trackingUri, auth: { kind: 'bearer', token: env.MLFLOW_TRACKING_TOKEN } };
  return { trackingUri };
}

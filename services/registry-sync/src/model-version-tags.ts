import { EventRejected } from '@planner/bus';
import { type MlflowClient, MlflowError, type ModelVersion } from '@planner/mlflow-client';

/**
 * The most characters a model version tag value carries here. MLflow 3.17
 * refuses values over 100 000 characters (MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH;
 * MLflow 2 refused over 5000); 5000 stays under both and is plenty for a
 * reason a person reads. @planner/mlflow-client has no constant for it.
 */
export const MODEL_VERSION_TAG_VALUE_LIMIT = 5000;

/**
 * `value` cut to `limit` characters (code points, as MLflow counts them;
 * a surrogate pair is never split), the last one '…' when it was cut.
 */
export function cutTagValue(value: string, limit = MODEL_VERSION_TAG_VALUE_LIMIT): string {
  if (value.length <= limit) return value;
  const chars = Array.from(value);
  return chars.length <= limit ? value : `${chars.slice(0, limit - 1).join('')}…`;
}

/** A model version number as MLflow numbers them: a positive integer, in decimal. */
export function isVersionNumber(version: string): boolean {
  return /^[1-9][0-9]{0,17}$/.test(version);
}

/**
 * The version, or undefined when MLflow has no such version (or no such
 * registered model). Anything else MLflow answers is thrown as it is: the bus
 * retries what the client marks retryable (MLflow away, a 5xx) for the
 * dependency budget, anything else a few times, then dead-letters it.
 */
export async function findModelVersion(mlflow: MlflowClient, name: string, version: string): Promise<ModelVersion | undefined> {
  try {
    return await mlflow.getModelVersion(name, version);
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'MLFLOW_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The version; an event naming one MLflow does not have is rejected (dead-lettered at once: waiting will not make it appear). */
export async function requireModelVersion(mlflow: MlflowClient, name: string, version: string, what: string): Promise<ModelVersion> {
  if (!isVersionNumber(version)) {
    throw new EventRejected('MODEL_VERSION_INVALID', `${what}: model version '${version}' is not a positive integer`);
  }
  const found = await findModelVersion(mlflow, name, version);
  if (!found) {
    throw new EventRejected('MODEL_VERSION_NOT_FOUND', `${what}: the MLflow registry has no version ${version} of model ${name}`);
  }
  return found;
}

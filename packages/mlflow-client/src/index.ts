export {
  DATASET_DIGEST_LIMIT,
  DATASET_DIGEST_TAG,
  type DatasetVersionRef,
  datasetVersionInput,
} from './dataset-version-input.ts';
export { experimentName } from './experiment-names.ts';
export {
  chunkLogBatch,
  LOG_BATCH_LIMITS,
  type LogBatchEntities,
  type LogBatchMetric,
  type LogBatchParam,
  type LogBatchRequest,
  type LogBatchTag,
} from './log-batch-chunks.ts';
export {
  type ArtifactEntry,
  type CreateModelVersionRequest,
  type CreateRunRequest,
  type LogBatchInput,
  type MetricInput,
  type MetricPoint,
  MlflowClient,
} from './mlflow-client.ts';
export { type MlflowAuth, type MlflowConfig, mlflowConfigFromEnv } from './mlflow-config.ts';
export {
  DATASET_CONTEXT_TAG,
  type DatasetInput,
  type MlflowRun,
  type ModelVersion,
  type ModelVersionStatus,
  type RunInfo,
  type RunStatus,
} from './mlflow-entities.ts';
export { MlflowError, type MlflowErrorCode, type MlflowErrorOptions } from './mlflow-error.ts';
export { MlflowHttp, type MlflowHttpOptions } from './mlflow-http.ts';
export { type RunIdentity, runIdentity, runIdentityTags } from './run-identity.ts';

import { CodedError, type CodedErrorOptions } from '@planner/errors';

export type MlflowErrorCode =
  | 'MLFLOW_CONFIG_INVALID'
  /** The server answered with an error (see `status` and `mlflowErrorCode`). */
  | 'MLFLOW_REQUEST_FAILED'
  /** The server answered 404 or RESOURCE_DOES_NOT_EXIST. */
  | 'MLFLOW_NOT_FOUND'
  /** No answer at all (connection refused, reset, timed out), after every retry. */
  | 'MLFLOW_UNREACHABLE'
  /** One param, metric or tag alone is over the log-batch request size limit. */
  | 'MLFLOW_REQUEST_TOO_LARGE'
  | 'MLFLOW_EXPERIMENT_DELETED'
  | 'MLFLOW_ARTIFACT_URI_UNSUPPORTED'
  | 'MLFLOW_ARTIFACT_PATH_INVALID'
  | 'MLFLOW_MODEL_VERSION_FAILED'
  | 'MLFLOW_MODEL_VERSION_NOT_READY';

export interface MlflowErrorOptions extends CodedErrorOptions {
  /** The HTTP status of the server's answer, when there was one. */
  status?: number;
  /** MLflow's own `error_code`, e.g. RESOURCE_ALREADY_EXISTS or INVALID_PARAMETER_VALUE. */
  mlflowErrorCode?: string;
}

export class MlflowError extends CodedError<MlflowErrorCode> {
  readonly status: number | undefined;
  readonly mlflowErrorCode: string | undefined;

  constructor(code: MlflowErrorCode, message: string, options: MlflowErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status;
    this.mlflowErrorCode = options.mlflowErrorCode;
  }
}

/** True for the answer MLflow gives when creating something that already exists. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof MlflowError && error.mlflowErrorCode === 'RESOURCE_ALREADY_EXISTS';
}

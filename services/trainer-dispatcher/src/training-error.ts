import { CodedError } from '@planner/errors';

export type TrainingErrorCode =
  | 'RECIPE_INVALID'
  | 'RECIPE_UNKNOWN'
  | 'DATASET_UNKNOWN'
  | 'JOB_NOT_FOUND'
  | 'JOB_FINISHED'
  | 'TRAINING_EXITED_NONZERO'
  | 'TRAINING_TIMED_OUT'
  | 'TRAINING_CANCELLED'
  | 'TRAINING_WORKER_LOST'
  | 'TRAINING_MLFLOW_UNAVAILABLE'
  | 'TRAINING_LAUNCH_FAILED';

export class TrainingError extends CodedError<TrainingErrorCode> {}

import { CodedError } from '@planner/errors';

export type ReplayErrorCode =
  | 'REPLAY_DATASET_UNKNOWN'
  | 'REPLAY_ROW_INVALID'
  | 'REPLAY_NOT_FOUND'
  | 'REPLAY_EMPTY'
  | 'REPLAY_BASELINE_UNKNOWN';

export class ReplayError extends CodedError<ReplayErrorCode> {}

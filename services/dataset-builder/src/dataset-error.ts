import { CodedError } from '@planner/errors';

export type DatasetErrorCode =
  | 'DATASET_ROW_INVALID'
  | 'DATASET_REQUEST_INVALID'
  | 'DATASET_VERSION_CONFLICT'
  | 'DATASET_EMPTY'
  | 'DATASET_DIGEST_MISMATCH'
  | 'DATASET_EVENTS_BEHIND';

export class DatasetError extends CodedError<DatasetErrorCode> {}

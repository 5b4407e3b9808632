import { CodedError } from '@planner/errors';

/**
 * Why the replay-evaluator's rows of a replay could not be used. Retryable:
 * REPLAY_EVALUATOR_UNREACHABLE (no answer, or a 5xx), REPLAY_ROWS_NOT_READY
 * (a 409: the replay, or a rerun sharing its rows, is still running) and
 * REPLAY_DIGEST_MISMATCH (the rows are not those replay.completed announced;
 * a rerun may be restoring them). Permanent: REPLAY_ROWS_INVALID (an answer
 * outside the documented contract) and REPLAY_ROWS_REFUSED (another 4xx).
 */
export type ReplayRowsErrorCode =
  | 'REPLAY_EVALUATOR_UNREACHABLE'
  | 'REPLAY_ROWS_NOT_READY'
  | 'REPLAY_DIGEST_MISMATCH'
  | 'REPLAY_ROWS_INVALID'
  | 'REPLAY_ROWS_REFUSED';

export class ReplayRowsError extends CodedError<ReplayRowsErrorCode> {}

import { CodedError } from '@planner/errors';

/**
 * Errors of the evaluation package. `METRIC_INPUT_INVALID`: a replayed row
 * cannot be scored (e.g. an accepted plan without meals); `STATISTICS_INPUT_INVALID`:
 * a sample or option the statistics cannot be computed from (empty, NaN,
 * mismatched lengths). Both mean the caller's data is wrong, not that a policy did badly.
 */
export type EvaluationErrorCode = 'METRIC_INPUT_INVALID' | 'STATISTICS_INPUT_INVALID';

export class EvaluationError extends CodedError<EvaluationErrorCode> {}

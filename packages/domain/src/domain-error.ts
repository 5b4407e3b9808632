import { CodedError } from '@planner/errors';

/** Errors of the planner domain, with stable codes callers route on (e.g. a dataset row to the dead-letter list). */
export type DomainErrorCode = 'INPUT_CONTEXT_INVALID' | 'GENERATOR_OPTIONS_INVALID' | 'ID_INVALID';

export class DomainError extends CodedError<DomainErrorCode> {}

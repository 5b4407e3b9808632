import { CodedError } from '@planner/errors';

/**
 * The one error the stack tooling raises on purpose. Its message is a single
 * line a person can act on; the CLI prints it without a stack trace.
 */
export type StackErrorCode = 'PREREQUISITE_MISSING' | 'PORT_IN_USE' | 'NOT_READY' | 'START_FAILED' | 'CONFIG_INVALID' | 'UNREACHABLE';

export class StackError extends CodedError<StackErrorCode> {}

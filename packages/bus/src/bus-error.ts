import { CodedError } from '@planner/errors';

/**
 * Thrown by a handler for an event it can never process (e.g. missing required
 * metadata): the bus dead-letters it at once, without retries.
 */
export class EventRejected extends CodedError {}

export type BusErrorCode = 'HANDLER_FAILED' | 'MESSAGE_EMPTY' | 'EVENT_ID_MISSING';

export class BusError extends CodedError<BusErrorCode> {}

import { CodedError } from '@planner/errors';

/**
 * Thrown by a handler for an event it can never process (e.g. missing required
 * metadata): the bus dead-letters it at once, without retries.
 */
export class EventRejected extends CodedError {}

export type BusErrorCode = 'HANDLER_FAILED' | 'MESSAGE_EMPTY' | 'EVENT_ID_MISSING' | 'EVENT_ENVELOPE_INVALID' | 'CONSUMER_STOPPING';

export class BusError extends CodedError<BusErrorCode> {}

/**
 * What the transport says when the broker did not take a message:
 * `MESSAGE_REFUSED` when it never will (too large, invalid record, not
 * allowed; retryable false), `BROKER_UNAVAILABLE` when it may later.
 */
export class TransportError extends CodedError<'MESSAGE_REFUSED' | 'BROKER_UNAVAILABLE'> {}

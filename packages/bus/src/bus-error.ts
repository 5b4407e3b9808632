import { CodedError } from '@planner/errors';

/**
 * Thrown by a handler for an event it can never process (e.g. missing required
 * metadata): the bus dead-letters it at once, without retries.
 */
export class EventRejected extends CodedError {}

export type BusErrorCode =
  | 'HANDLER_FAILED'
  | 'MESSAGE_EMPTY'
  | 'EVENT_ID_MISSING'
  | 'EVENT_ENVELOPE_INVALID'
  | 'INBOX_WRITE_FAILED'
  | 'CONSUMER_STOPPING';

export class BusError extends CodedError<BusErrorCode> {}

/**
 * What the transport says when the broker did not take a message:
 * `MESSAGE_REFUSED` when it never will take this message (too large, an
 * invalid record; retryable false), `BROKER_UNAVAILABLE` for anything else
 * (the broker away, a missing topic or permission: the sender waits).
 */
export class TransportError extends CodedError<'MESSAGE_REFUSED' | 'BROKER_UNAVAILABLE'> {}

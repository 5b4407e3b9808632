import { CodedError } from '@planner/errors';

/** Errors of the wire format, with stable codes consumers route on (e.g. to the dead-letter topic). */
export type SchemaErrorCode =
  | 'WIRE_BAD_MAGIC'
  | 'WIRE_TRUNCATED'
  | 'WIRE_BODY_INVALID'
  | 'SCHEMA_UNKNOWN_FINGERPRINT'
  | 'SCHEMA_UNKNOWN_TOPIC'
  | 'SCHEMA_INVALID_FILE'
  | 'EVENT_INVALID';

export class SchemaError extends CodedError<SchemaErrorCode> {}

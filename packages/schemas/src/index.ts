export { crc64Avro, EMPTY64, fingerprintBytes } from './crc64-avro.ts';
export type * from './events.generated.ts';
export { ENVELOPE_LIMITS, envelopeProblems, FIELD_LIMITS } from './field-limits.ts';
export { SchemaError, type SchemaErrorCode } from './schema-error.ts';
export { SCHEMAS_DIR, SchemaRegistry, type TopicSchema, topicSchema } from './schema-registry.ts';
export { encodeSingleObject, readFingerprint, SINGLE_OBJECT_MAGIC, singleObjectBody, singleObjectHeader } from './single-object.ts';

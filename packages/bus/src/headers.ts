/**
 * Kafka header names the bus writes on an event: only what a consumer or a
 * tool needs before decoding (decision 0005). The event id, correlation id
 * and schema fingerprint are in the value (its single-object header and the
 * envelope), and every header costs kafkajs per message on both sides.
 */
export const HEADER = {
  contentType: 'content-type',
  /** W3C trace context, when the sender was in a trace. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** The event-id header of messages sent before decision 0005's header cut: tools still read it on old dead letters. */
export const LEGACY_EVENT_ID_HEADER = 'event-id';

/** Extra headers on a dead-lettered message: where it came from and why it failed. */
export const DLT_HEADER = {
  /** The failed event's id, when its value decoded (the value itself is kept as it was). */
  eventId: 'dlt-event-id',
  originalTopic: 'dlt-original-topic',
  originalPartition: 'dlt-original-partition',
  originalOffset: 'dlt-original-offset',
  originalTimestamp: 'dlt-original-timestamp',
  consumerGroup: 'dlt-consumer-group',
  errorCode: 'dlt-error-code',
  errorMessage: 'dlt-error-message',
  attempts: 'dlt-attempts',
  failedAt: 'dlt-failed-at',
  /** On a record of a message too large to copy whole: 'true', and the value is empty. */
  valueOmitted: 'dlt-value-omitted',
  originalSize: 'dlt-original-size',
  originalSha256: 'dlt-original-sha256',
  /** The first 64 bytes of the original value, in hex. */
  originalHead: 'dlt-original-head',
  copyRefused: 'dlt-copy-refused',
} as const;

export const AVRO_SINGLE_OBJECT = 'application/vnd.apache.avro.single-object';

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlt`;
}

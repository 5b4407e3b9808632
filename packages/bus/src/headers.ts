/** Kafka header names the bus writes on every event. */
export const HEADER = {
  eventId: 'event-id',
  contentType: 'content-type',
  fingerprint: 'schema-fingerprint',
  correlationId: 'correlation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Extra headers on a dead-lettered message: where it came from and why it failed. */
export const DLT_HEADER = {
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

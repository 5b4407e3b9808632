import { context, propagation, SpanKind } from '@opentelemetry/api';
import { runInSpan } from './run-span.ts';

/** Adds the active trace context (traceparent, tracestate) to outgoing Kafka headers. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** Runs `fn` in a producer span for `topic`, so the headers it injects point at that span. */
export function producerSpan<T>(topic: string, fn: () => Promise<T>): Promise<T> {
  return runInSpan(
    `publish ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic } },
    context.active(),
    undefined,
    fn,
  );
}

/**
 * Runs a handler in a consumer span that continues the trace carried in the
 * message headers, with the run's correlation id in context for logs.
 */
export function consumerSpan<T>(
  topic: string,
  headers: Record<string, string>,
  correlationId: string | undefined,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  return runInSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, ...attributes } },
    propagation.extract(context.active(), headers),
    correlationId,
    fn,
  );
}

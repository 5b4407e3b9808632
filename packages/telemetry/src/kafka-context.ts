import { type Context, context, createContextKey, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const CORRELATION_ID = createContextKey('planner.correlation_id');
const tracer = () => trace.getTracer('planner-lifecycle');

/** The correlation id of the lifecycle run the current code works for, if any. */
export function currentCorrelationId(): string | undefined {
  return context.active().getValue(CORRELATION_ID) as string | undefined;
}

/** Adds the active trace context (traceparent, tracestate) to outgoing Kafka headers. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** Runs `fn` in a producer span for `topic`, so the headers it injects point at that span. */
export function producerSpan<T>(topic: string, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(
    `publish ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic } },
    (span) => settle(span, fn),
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
  let parent: Context = propagation.extract(context.active(), headers);
  if (correlationId) parent = parent.setValue(CORRELATION_ID, correlationId);
  return tracer().startActiveSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, ...attributes } },
    parent,
    (span) => settle(span, fn),
  );
}

async function settle<T>(span: ReturnType<ReturnType<typeof tracer>['startSpan']>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

import { context, propagation, SpanKind } from '@opentelemetry/api';
import { runInSpan } from './run-span.ts';

/** The W3C trace context of the work that queued something, kept with it (a row) until a loop takes it up. */
export type StoredTraceContext = { traceparent: string | null; tracestate: string | null };

/** Incoming W3C trace headers: stored columns, or an HTTP request's headers (repeated ones as arrays). */
export type TraceCarrier = Readonly<Record<string, string | string[] | null | undefined>>;

/** The active trace context, to store with work a polling loop will do later; nulls outside any trace. */
export function storedTraceContext(): StoredTraceContext {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return { traceparent: headers.traceparent ?? null, tracestate: headers.tracestate ?? null };
}

/**
 * Runs `fn` in a span that continues the trace in `carrier`: a build or job a
 * loop runs after a handler queued it, or an HTTP request whose caller sent a
 * traceparent. Without one (a row from before traces were stored, a caller
 * without tracing) the span starts a trace of its own, so what `fn` publishes
 * always carries one.
 */
export function continueTrace<T>(
  name: string,
  carrier: TraceCarrier,
  options: { kind?: SpanKind; correlationId?: string; attributes?: Record<string, string | number> },
  fn: () => Promise<T>,
): Promise<T> {
  return runInSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) },
    propagation.extract(context.active(), carrier),
    options.correlationId,
    fn,
  );
}

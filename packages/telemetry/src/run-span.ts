import { type Context, context, createContextKey, type SpanOptions, SpanStatusCode, trace } from '@opentelemetry/api';

const CORRELATION_ID = createContextKey('planner.correlation_id');
const tracer = () => trace.getTracer('planner-lifecycle');

/** The correlation id of the lifecycle run the current code works for, if any. */
export function currentCorrelationId(): string | undefined {
  return context.active().getValue(CORRELATION_ID) as string | undefined;
}

/**
 * Runs `fn` in a new active span under `parent`, with the run's correlation id
 * in context for logs; the span records what `fn` throws and always ends.
 */
export function runInSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context,
  correlationId: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const ctx = correlationId ? parent.setValue(CORRELATION_ID, correlationId) : parent;
  return tracer().startActiveSpan(name, options, ctx, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

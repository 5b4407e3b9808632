import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';
import { currentCorrelationId } from './run-span.ts';

/**
 * JSON logs for a service. Every line carries the active trace and span ids and
 * the lifecycle run's correlation id, so a log line leads to its trace.
 */
export function createLogger(service: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      base: { service },
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        const correlationId = currentCorrelationId();
        return {
          ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
          ...(correlationId ? { correlation_id: correlationId } : {}),
        };
      },
    },
    options.destination ?? process.stdout,
  );
}

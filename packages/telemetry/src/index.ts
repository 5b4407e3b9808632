export { SpanKind } from '@opentelemetry/api';
export { BusMetrics, type PartitionLag } from './bus-metrics.ts';
export { consumerSpan, injectTraceContext, producerSpan } from './kafka-context.ts';
export { createLogger } from './logger.ts';
export { ReplayMetrics, type ReplayProgress, type ReplayRole } from './replay-metrics.ts';
export { currentCorrelationId } from './run-span.ts';
export { continueTrace, type StoredTraceContext, storedTraceContext, type TraceCarrier } from './stored-trace-context.ts';
export { startTracing, type Tracing } from './tracing.ts';

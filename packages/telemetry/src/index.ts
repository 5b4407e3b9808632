export { BusMetrics, type PartitionLag } from './bus-metrics.ts';
export { consumerSpan, currentCorrelationId, injectTraceContext, producerSpan } from './kafka-context.ts';
export { createLogger } from './logger.ts';
export { startTracing, type Tracing } from './tracing.ts';

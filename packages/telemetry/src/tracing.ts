import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for a service: W3C trace context, async
 * context across awaits. Spans are exported to `exporter` when given (tests),
 * else wherever the standard OTEL_* variables say (OTLP to a collector); with
 * neither, spans still link across Kafka hops but are not exported.
 */
export function startTracing(options: { serviceName: string; exporter?: SpanExporter; env?: NodeJS.ProcessEnv }): Tracing {
  const env = options.env ?? process.env;
  const configuredByEnv = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [],
    ...(options.exporter
      ? { spanProcessors: [new SimpleSpanProcessor({ exporter: options.exporter })] }
      : configuredByEnv
        ? {}
        : // Still a real tracer provider, so each hop gets its own span id.
          { spanProcessors: [new NoopSpanProcessor()] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

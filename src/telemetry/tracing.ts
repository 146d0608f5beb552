// Tracing for a Steward process, configured the OpenTelemetry way: on when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector, off otherwise (and when OTEL_SDK_DISABLED=true). Spans go
// out over OTLP/HTTP, batched, through the redacting processor; the provider is the process's global one, so the
// activities' spans and Temporal's interceptors share it.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RedactingSpanProcessor } from './redacting-span-processor';

export interface Tracing {
  /** Every span's way out: the workflow sandbox's spans are handed to it by the interceptor's sink. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports what has ended so far; never rejects. */
  flush(): Promise<void>;
  /** Exports what is still buffered; a process calls it before it exits. Never rejects. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** An OTLP/HTTP endpoint to use when the environment names none (the local stack's Jaeger, for the CLI). */
  fallbackEndpoint?: string;
  env?: NodeJS.ProcessEnv;
}

/** Whether the environment configures an OTLP trace endpoint. */
export function isTracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts tracing for this process as `serviceName`, or returns undefined when it is not configured. */
export function startTracing(serviceName: string, options: TracingOptions = {}): Tracing | undefined {
  const env = options.env ?? process.env;
  const fallback = env.OTEL_SDK_DISABLED === 'true' ? undefined : options.fallbackEndpoint;
  if (!isTracingConfigured(env) && !fallback) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and its relatives itself; the batch processor, OTEL_BSP_*.
  const exporter = isTracingConfigured(env) ? new OTLPTraceExporter() : new OTLPTraceExporter({ url: `${fallback!.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new RedactingSpanProcessor(new BatchSpanProcessor(exporter));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  // Traces are best effort: a collector that is down or slow loses spans, never the run or the command.
  const quietly = (work: Promise<void>) => work.catch(() => undefined);
  return {
    spanProcessor,
    resource,
    flush: () => quietly(provider.forceFlush()),
    shutdown: async () => {
      await quietly(provider.shutdown());
      trace.disable();
    },
  };
}

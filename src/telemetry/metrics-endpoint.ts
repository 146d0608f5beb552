// The worker's metrics in Prometheus' text format, served at GET /metrics on its health server. Pulled rather than
// pushed: Jaeger keeps traces only, so an OTLP push would need another collector, while any Prometheus (or a
// curl) can read the health port the process manager already probes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export interface MetricsEndpoint {
  handle(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

/** Registers the process's meter provider, read by a Prometheus exporter that opens no port of its own. */
export function startMetrics(): MetricsEndpoint {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    handle: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: async () => {
      await provider.shutdown();
      metrics.disable();
    },
  };
}

// A worker process's tracing and metrics. Tracing follows OpenTelemetry's environment (OTEL_EXPORTER_OTLP_ENDPOINT):
// Temporal's interceptors trace each run, its activities and their spans into one trace, the sandbox's spans
// leaving through the interceptor's sink. Metrics are always on and served at /metrics on the health server.
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { startMetrics, type MetricsEndpoint } from '../telemetry/metrics-endpoint';
import { createRunMetrics, type RunMetrics } from '../telemetry/run-metrics';
import { startTracing, type Tracing } from '../telemetry/tracing';
import type { TenantId } from '../tenancy/tenant-id';
import { createRunEventsSinks } from './run-events-sink';

export const WORKER_SERVICE_NAME = 'steward-worker';

/** The workflow interceptors the bundle carries when tracing is on: they open the run's span and its activities'. */
export const WORKFLOW_TRACING_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface WorkerTelemetry {
  tracing?: Tracing;
  metrics: RunMetrics;
  metricsEndpoint: MetricsEndpoint;
  shutdown(): Promise<void>;
}

export function startWorkerTelemetry(env: NodeJS.ProcessEnv = process.env): WorkerTelemetry {
  const tracing = startTracing(WORKER_SERVICE_NAME, { env });
  const metricsEndpoint = startMetrics();
  return {
    tracing,
    metrics: createRunMetrics(),
    metricsEndpoint,
    shutdown: async () => {
      await tracing?.shutdown();
      await metricsEndpoint.shutdown();
    },
  };
}

/**
 * What one tenant's Worker adds for telemetry: the run-events sink (always: runs call it, and a Worker without it
 * logs every call as an error; without a meter provider it counts nothing), and with tracing the interceptors and
 * the span sink.
 */
export function telemetryWorkerOptions(telemetry: WorkerTelemetry | undefined, tenant: TenantId): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const runEvents = createRunEventsSinks(tenant, telemetry?.metrics ?? createRunMetrics());
  const tracing = telemetry?.tracing;
  if (!tracing) return { sinks: runEvents };
  return {
    sinks: { ...runEvents, exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
  };
}

// The run's share of tracing and metrics, inside the sandbox. Spans are made with the OpenTelemetry API against the
// tracer Temporal's workflow interceptor registers there, and leave through its sink; metrics leave through the
// runEvents sink. Neither adds a command to history, and sinks are not called during replay, so runs replay as they
// were recorded. Without the interceptor (tracing off) the API hands out no-op spans.
import { SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { proxySinks } from '@temporalio/workflow';
import type { RunSinks } from '../src/contract/run-sinks';

const TRACER = 'steward.workflow';

export const { runEvents } = proxySinks<RunSinks>();

/** Names the run on its span (Temporal's RunWorkflow span): the tenant and the definition, ids only. */
export function describeRunSpan(attributes: { tenant: string; workflow: string; version: number }): void {
  trace.getActiveSpan()?.setAttributes({
    'steward.tenant': attributes.tenant,
    'steward.workflow': attributes.workflow,
    'steward.workflow.version': attributes.version,
  });
}

/** Runs one node in a span `node <id>`; the activities it schedules become its children. */
export function withinNodeSpan<T>(id: string, type: string, work: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { 'steward.node.id': id, 'steward.node.type': type };
  return trace.getTracer(TRACER).startActiveSpan(`node ${id}`, { attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      const type = (error as { cause?: { type?: unknown }; type?: unknown }).cause?.type ?? (error as { type?: unknown }).type;
      if (typeof type === 'string') span.setAttribute('steward.error.code', type);
      throw error;
    } finally {
      span.end();
    }
  });
}

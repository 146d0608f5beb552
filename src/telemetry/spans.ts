// Spans around Steward's own operations (model calls, tool HTTP calls, token exchanges), children of whatever span
// is active (the activity's). Without a tracer provider they cost nothing: the API hands out no-op spans.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { isStewardError } from '../errors';

const TRACER = 'steward';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

/** Runs `work` in a span named `name`; a failure marks the span with its code only (never its message). */
export async function withSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER).startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A failure's code or class name: what an operator may see of it in a trace. */
export function errorType(error: unknown): string {
  if (isStewardError(error)) return error.code;
  const { type, oauthCode } = (error ?? {}) as { type?: unknown; oauthCode?: unknown };
  if (typeof oauthCode === 'string') return oauthCode;
  if (typeof type === 'string') return type;
  return error instanceof Error ? error.name : 'unknown';
}

export { SpanKind };

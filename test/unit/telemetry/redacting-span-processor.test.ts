// The allow-list before export: whatever a span was given (by Steward's code, Temporal's interceptors or an error),
// only named attributes, event names and exception types leave the process.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RedactingSpanProcessor } from '../../../src/telemetry/redacting-span-processor';

const PII = 'jane.roe@example.com';
const SECRET = 'sk-canary-5f1e';

function exportedSpans(record: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new RedactingSpanProcessor(new SimpleSpanProcessor(exporter))] });
  record(provider.getTracer('test'));
  return exporter.getFinishedSpans();
}

test('attributes outside the allow-list are dropped, allowed ones kept as they were', () => {
  const [span] = exportedSpans((tracer) => {
    const span = tracer.startSpan('chat steward-local', {
      attributes: { 'gen_ai.request.model': 'steward-local', 'gen_ai.usage.input_tokens': 12, 'gen_ai.prompt': `mail ${PII}`, 'url.full': `http://h/x?key=${SECRET}`, memo: PII },
    });
    span.end();
  });
  expect(span!.attributes).toEqual({ 'gen_ai.request.model': 'steward-local', 'gen_ai.usage.input_tokens': 12 });
});

test('an exception keeps its type, never its message or stack; the status keeps its code, not its description', () => {
  const [span] = exportedSpans((tracer) => {
    const span = tracer.startSpan('HTTP POST');
    const error = new TypeError(`could not reach http://h/?token=${SECRET} for ${PII}`);
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.addEvent('note', { detail: PII, 'http.response.status_code': 502 });
    span.end();
  });
  const exported = JSON.stringify({ attributes: span!.attributes, events: span!.events, status: span!.status, links: span!.links });
  expect(exported).not.toContain(PII);
  expect(exported).not.toContain(SECRET);
  expect(span!.status).toEqual({ code: SpanStatusCode.ERROR });
  expect(span!.events.map((event) => ({ name: event.name, attributes: event.attributes }))).toEqual([
    { name: 'exception', attributes: { 'exception.type': 'TypeError' } },
    { name: 'note', attributes: { 'http.response.status_code': 502 } },
  ]);
});

test('the span keeps its identity and parent, so the trace still hangs together', () => {
  const spans = exportedSpans((tracer) => {
    const parent = tracer.startSpan('run');
    tracer.startSpan('node review', {}, trace.setSpan(context.active(), parent)).end();
    parent.end();
  });
  const [child, parent] = spans;
  expect(child!.spanContext().traceId).toBe(parent!.spanContext().traceId);
  expect(child!.parentSpanId).toBe(parent!.spanContext().spanId);
});

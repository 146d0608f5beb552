// Traces are best effort: with the collector unreachable (a loopback port nobody listens on), flushing and shutting
// tracing down resolve, so `steward run` and a worker's exit never fail for a collector that is down.
import { createServer } from 'node:net';
import { trace } from '@opentelemetry/api';
import { startTracing } from '../../../src/telemetry/tracing';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('flush and shutdown resolve when the collector cannot be reached', async () => {
  const tracing = startTracing('steward-test', { fallbackEndpoint: `http://127.0.0.1:${await closedPort()}`, env: {} });
  expect(tracing).toBeDefined();
  trace.getTracer('steward-test').startSpan('span to nowhere').end();
  await expect(tracing!.flush()).resolves.toBeUndefined();
  trace.getTracer('steward-test').startSpan('another').end();
  await expect(tracing!.shutdown()).resolves.toBeUndefined();
});

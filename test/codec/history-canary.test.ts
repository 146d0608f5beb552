// End to end on the real stack: a run whose input carries planted PII and whose tool step fails with a message
// naming a planted IP address. The run uses the real values (the target receives them, the client reads them),
// while raw history, read without any codec through the SDK and through `temporal workflow show`, holds none of
// them: every payload in it is encrypted, and failure messages are encoded.
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { luhnComplete } from '../pii/corpus/generate';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, temporalCli, testConfig, type RunningWorker } from '../support/stack';

const config = testConfig();

/** A 16-digit Visa-like number that passes the Luhn check, so detectors would take it for a card. */
const luhnCard = () => luhnComplete(`4${randomInt(10 ** 13, 10 ** 14)}`);

const CANARIES = {
  email: `canary.${randomBytes(6).toString('hex')}@example.com`,
  ssn: `${randomInt(100, 666)}-${randomInt(10, 100)}-${randomInt(1000, 10_000)}`,
  card: luhnCard(),
  phone: `+1 628 ${randomInt(200, 1000)} ${randomInt(1000, 10_000)}`,
};
/** The tool target listens here; the tool's error message names the host, so a failure carries this canary. */
const CANARY_IP = `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(2, 255)}`;
/** Each canary as written and with separators dropped: a leak need not keep the formatting. */
const needles = [...Object.values(CANARIES), CANARY_IP].flatMap((value) => [value, value.replace(/[^0-9a-z@.]/gi, '')]);

const DEFINITION = `
id: canary-call
version: 1
input: { type: object }
start: call
nodes:
  call:
    type: tool
    tool: http
    request:
      method: POST
      url: "{{ input.target }}/{{ input.path }}"
      body: { email: "{{ input.email }}", ssn: "{{ input.ssn }}", card: "{{ input.card }}", phone: "{{ input.phone }}" }
    retry: { max_attempts: 2, initial_interval: 100ms, backoff_coefficient: 1 }
    next: done
  done: { type: end, output: nodes.call.output }
`;

interface Received {
  path: string;
  body: Record<string, string>;
}

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let raw: Client;
let server: Server;
let target: string;
const received: Received[] = [];

/** /flaky fails its first request and echoes after; /broken always fails. */
async function startCanaryTarget(): Promise<void> {
  let flakyCalls = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, body: JSON.parse(body || '{}') });
      const failing = path === '/broken' || (path === '/flaky' && ++flakyCalls === 1);
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: JSON.parse(body || '{}') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, CANARY_IP, resolve));
  target = `http://${CANARY_IP}:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  tenant = await createTestTenant('canary');
  await startCanaryTarget();
  worker = await startTenantWorker(tenant);
  client = await StewardClient.connect({ tenant });
  raw = new Client({ connection: await Connection.connect(loadConnectionOptions(config.localTemporalAddress)), namespace: client.namespace });
  await client.register(DEFINITION);
});
afterAll(async () => {
  await raw?.connection.close();
  await client?.close();
  await worker?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

type PayloadSeen = { path: string; encoding: string; data: string };

/**
 * Every payload in a history (SDK objects or CLI JSON), except search attributes, which Temporal never encodes
 * (Steward puts only fixed values there), and the markers' bookkeeping that the SDK's core writes itself: a patch
 * id, and a local activity's sequence number, type and times (its result sits beside it, encrypted).
 */
const CORE_BOOKKEEPING = /markerRecordedEventAttributes\.details\.(patch-data|data)\.payloads\[0\]$/;
/** The trace context a tracing client puts in a run's start header (headers are not encoded): ids, never data. */
const TRACE_HEADER = /\.header\.fields\._tracer-data$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function isTraceContextOnly(payload: PayloadSeen): boolean {
  if (!TRACE_HEADER.test(payload.path) || payload.encoding !== 'json/plain') return false;
  const carried = JSON.parse(payload.data) as Record<string, unknown>;
  return Object.entries(carried).every(([key, value]) => typeof value === 'string' && (key === 'traceparent' ? TRACEPARENT.test(value) : key === 'tracestate' && value.length < 256));
}

function payloadsIn(node: unknown, path = '', out: PayloadSeen[] = []): PayloadSeen[] {
  if (Array.isArray(node)) node.forEach((item, index) => payloadsIn(item, `${path}[${index}]`, out));
  else if (node && typeof node === 'object' && !(node instanceof Uint8Array)) {
    const record = node as Record<string, unknown>;
    const encoding = (record.metadata as Record<string, unknown> | undefined)?.encoding;
    if (encoding !== undefined && 'data' in record) {
      const bytes = typeof encoding === 'string' ? Buffer.from(encoding, 'base64') : Buffer.from(encoding as Uint8Array);
      const data = typeof record.data === 'string' ? Buffer.from(record.data, 'base64') : Buffer.from(record.data as Uint8Array);
      out.push({ path, encoding: bytes.toString('utf8'), data: data.toString('utf8') });
    }
    for (const [key, value] of Object.entries(record)) if (key !== 'searchAttributes') payloadsIn(value, `${path}.${key}`, out);
  }
  return out;
}

async function rawHistories(workflowId: string): Promise<{ sdk: unknown; cli: unknown }> {
  const sdk = await raw.workflow.getHandle(workflowId).fetchHistory();
  const shown = await temporalCli(['workflow', 'show', '--namespace', client.namespace, '--workflow-id', workflowId, '--output', 'json']);
  expect(shown.code).toBe(0);
  return { sdk, cli: JSON.parse(shown.stdout) };
}

function expectNoCanary(history: unknown): void {
  const text = historyText(history);
  for (const needle of needles) expect({ needle, found: text.includes(needle) }).toEqual({ needle, found: false });
}

function expectAllEncrypted(history: unknown): void {
  const payloads = payloadsIn(history);
  expect(payloads.length).toBeGreaterThan(3);
  const plain = payloads.filter((p) => p.encoding !== 'binary/encrypted' && !CORE_BOOKKEEPING.test(p.path) && !isTraceContextOnly(p));
  expect(plain.map(({ path, encoding }) => ({ path, encoding }))).toEqual([]);
}

test('a run with planted PII that fails once completes with the real values; raw history holds none of them', async () => {
  const run = await client.start<{ received: Record<string, string> }>({ workflow: 'canary-call', input: { target, path: 'flaky', ...CANARIES } });
  const output = await run.result();
  expect(output.received).toEqual(CANARIES);
  expect(received.filter((r) => r.path === '/flaky').map((r) => r.body)).toEqual([CANARIES, CANARIES]);

  const { sdk, cli } = await rawHistories(run.workflowId);
  // The retried attempt's failure is in history (as the last failure of the attempt that succeeded), encoded.
  const started = (sdk as { events: Array<{ activityTaskStartedEventAttributes?: { attempt?: number; lastFailure?: { message?: string } } }> }).events
    .map((e) => e.activityTaskStartedEventAttributes)
    .find((a) => (a?.attempt ?? 0) > 1);
  expect(started?.lastFailure?.message).toBe('Encoded failure');
  for (const history of [sdk, cli]) {
    expectNoCanary(history);
    expectAllEncrypted(history);
  }
});

test('a run whose tool step keeps failing: the client reads the real error, raw history only ciphertext', async () => {
  const run = await client.start({ workflow: 'canary-call', input: { target, path: 'broken', ...CANARIES } });
  const failure = await run.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const messages: string[] = [];
  for (let error = failure as Error | undefined; error; error = error.cause as Error | undefined) messages.push(error.message);
  expect(messages.join('\n')).toContain(`${CANARY_IP}:`);
  expect(messages.join('\n')).toContain('answered 500');

  const { sdk, cli } = await rawHistories(run.workflowId);
  for (const history of [sdk, cli]) {
    expectNoCanary(history);
    expectAllEncrypted(history);
    expect(historyText(history)).not.toContain('answered 500');
  }
});

test('a workflow id holding PII is refused before anything reaches Temporal', async () => {
  const workflowId = `order-for-${CANARIES.email}`;
  await expect(client.start({ workflow: 'canary-call', input: { target, path: 'flaky' }, workflowId })).rejects.toMatchObject({
    code: 'INPUT_INVALID',
    message: expect.stringContaining('email'),
  });
  await expect(raw.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
});

test('a client without the codec cannot read a run: the result is ciphertext it does not understand', async () => {
  const run = await client.start({ workflow: 'canary-call', input: { target, path: 'echo', ...CANARIES } });
  await run.result();
  await expect(raw.workflow.getHandle(run.workflowId).result()).rejects.toThrow(/binary\/encrypted/);
});

// A worker SIGKILLed in the middle of a tool call: the step heartbeats, so its attempt is retried on another worker
// within seconds (not after the step's 60 s timeout), with the same idempotency key, and both attempts are in the
// audit trail, the killed one as sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listAuditEvents } from '../../src/audit/audit-log';
import { StewardClient } from '../../src/client';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, processExit, testConfig } from '../support/stack';

let tenant: TenantId;
const workers: ChildProcess[] = [];
const arrivals: Array<{ at: number; headers: IncomingHttpHeaders }> = [];
let target: Server;
let targetUrl: string;

beforeAll(async () => {
  tenant = await createTestTenant('tool-kill');
  // The first attempt is held unanswered (its worker dies meanwhile); later ones are answered at once.
  target = createServer((request, response) => {
    request.resume();
    arrivals.push({ at: Date.now(), headers: request.headers });
    if (arrivals.length > 1) response.writeHead(200, { 'content-type': 'application/json' }).end('{"charged":true}');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

function startWorker(): ChildProcess {
  const worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { stdio: ['ignore', 'ignore', 'ignore'] });
  workers.push(worker);
  return worker;
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a tool step whose worker is SIGKILLed mid-call is retried within seconds, under the same idempotency key, and audited', async () => {
  const client = await StewardClient.connect({ tenant });
  const pool = createPool(testConfig().appDatabaseUrl, { max: 1 });
  try {
    await client.register(`
id: charge
version: 1
start: charge
nodes:
  charge:
    type: tool
    tool: http
    request: { method: POST, url: "${targetUrl}/charges", body: { amount: 12 } }
    irreversible: true
    approval: waived
    reason: the test charges a local target
    next: done
  done: { type: end, output: "{'charged': nodes.charge.output.charged}" }
`);
    const first = startWorker();
    const run = await client.start<{ charged: boolean }>({ workflow: 'charge', input: {} });
    await until('the first attempt', () => arrivals.length === 1, 90_000);
    const killedAt = Date.now();
    first.kill('SIGKILL');
    await processExit(first);
    startWorker();

    expect(await run.result()).toEqual({ charged: true });
    expect(arrivals).toHaveLength(2);
    // A 10 s heartbeat timeout plus a new worker's start-up, far from the 60 s the attempt would otherwise hold.
    expect(arrivals[1]!.at - killedAt).toBeLessThan(30_000);
    const key = arrivals[0]!.headers['idempotency-key'];
    expect(key).toBeTruthy();
    expect(arrivals[1]!.headers['idempotency-key']).toBe(key);

    const trail = await listAuditEvents(pool, tenant, { workflowId: run.workflowId });
    const sent = trail.filter((event) => event.type === 'tool.call.sent');
    const answered = trail.filter((event) => event.type === 'tool.call');
    expect(sent.map((event) => event.attempt)).toEqual([1, 2]);
    expect(sent[0]).toMatchObject({ step: 'charge', agentId: 'charge', payload: { tool: 'http', irreversible: true, method: 'POST', idempotency_key: key } });
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({ step: 'charge', attempt: 2, payload: { method: 'POST', status: 200, outcome: 'ok', idempotency_key: key } });
    // Never a body or a header.
    expect(JSON.stringify(trail)).not.toContain('amount');
    expect(JSON.stringify(trail)).not.toContain('charged');
  } finally {
    await pool.end();
    await client.close();
  }
});

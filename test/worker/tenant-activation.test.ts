// Idle tenants cost no Worker: a tenant's Worker stops once it has had nothing to do for STEWARD_TENANT_IDLE_MS, and
// starts again when work shows up in its namespace, whatever kind of work: a run started by Steward's client, a raw
// `temporal workflow start`, a raw `temporal workflow signal`, and a durable timer firing on a run that sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mintDevToken } from '../../dev-server/sts';
import { findFreePort } from '../../dev-server/processes';
import { StewardClient } from '../../src/client';
import { TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, processExit, stsUrl, temporalCli, waitForHistoryEvent } from '../support/stack';

let tenant: TenantId;
let worker: ChildProcess;
let client: StewardClient;
let healthUrl: string;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  tenant = await createTestTenant('activation');
  client = await StewardClient.connect({ tenant });
  await client.register(readFileSync('test/fixtures/pausing-hello.yaml', 'utf8').replace('duration: 3s', 'duration: 12s'));
  await client.register("id: plain\nversion: 1\nstart: done\nnodes:\n  done: { type: end, output: \"'done'\" }\n");
  await client.register(`
id: finance-approval
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  const port = await findFreePort();
  healthUrl = `http://127.0.0.1:${port}/healthz`;
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant, '--health-port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STEWARD_TENANT_IDLE_MS: '2000', STEWARD_TENANT_WATCH_MS: '250' },
  });
  let partial = '';
  worker.stderr!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        // not a log entry
      }
    }
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
});

async function tenantState(): Promise<string | undefined> {
  try {
    const body = (await (await fetch(healthUrl)).json()) as { tenants: Record<string, { state: string }> };
    return body.tenants[tenant]?.state;
  } catch {
    return undefined; // the worker is still starting
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; worker logs:\n${logs.map((e) => JSON.stringify(e)).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the tenant's Worker has been stopped for idleness, and returns how many times it has started so far. */
async function idle(): Promise<number> {
  await until('the tenant going idle', async () => (await tenantState()) === 'idle');
  return starts();
}

const starts = () => logs.filter((entry) => entry.msg === 'serving tenant' && entry.tenant === tenant).length;

test('an idle tenant has no Worker, and a run started by the client wakes one', async () => {
  const before = await idle();
  expect(logs.some((entry) => entry.msg === 'stopped idle tenant worker' && entry.tenant === tenant) || before === 0).toBe(true);
  const run = await client.start<string>({ workflow: 'plain', input: {} });
  expect(await run.result()).toBe('done');
  expect(starts()).toBe(before + 1);
  await idle();
}, 120_000);

test('a raw `temporal workflow start` wakes the tenant', async () => {
  const before = await idle();
  const workflowId = `raw-start-${Date.now()}`;
  const started = await temporalCli([
    'workflow', 'start', '--namespace', client.namespace, '--type', 'agentWorkflow', '--task-queue', TASK_QUEUE, '--workflow-id', workflowId,
    '--input', JSON.stringify({ workflow: 'plain', input: {} }),
  ]);
  expect(started.code).toBe(0);
  expect(await (await client.getRun(workflowId)).result()).toBe('done');
  expect(starts()).toBe(before + 1);
}, 120_000);

test('a raw `temporal workflow signal` to a run whose Worker was stopped wakes the tenant and the run goes on', async () => {
  const userToken = (await mintDevToken(stsUrl(), { user: 'alice', tenant })).accessToken;
  const run = await client.start({ workflow: 'finance-approval', input: {}, userToken });
  await waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));
  const before = await idle();
  const approver = (await mintDevToken(stsUrl(), { user: 'carol', tenant, groups: ['finance-managers'] })).accessToken;
  const signal = await temporalCli([
    'workflow', 'signal', '--namespace', client.namespace, '--workflow-id', run.workflowId, '--name', 'approval',
    '--input', JSON.stringify({ decision: 'approve', token: approver, node: 'ask' }),
  ]);
  expect(signal.code).toBe(0);
  expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
  expect(starts()).toBe(before + 1);
}, 120_000);

test('a durable timer firing on a run asleep while its tenant is idle wakes the tenant', async () => {
  const run = await client.start<string>({ workflow: 'pausing-hello', input: {} });
  await waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));
  // The 12 s timer outlasts the 2 s idle period: the Worker stops while the run sleeps.
  const before = await idle();
  expect((await run.describe()).status.name).toBe('RUNNING');
  expect(await run.result()).toBe('set before the crash, finished after it');
  expect(starts()).toBe(before + 1);
}, 120_000);

test('a query from Steward\'s client wakes the tenant first (Temporal hands queries only to a polling Worker)', async () => {
  const run = await client.start<string>({ workflow: 'pausing-hello', input: {} });
  await waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));
  const before = await idle();
  // Answered by a Worker woken for the query, long before the 12 s timer would have woken one.
  const asked = Date.now();
  expect(await run.progress()).toMatchObject({ status: 'waiting', current: ['pause'] });
  expect((await run.describe()).status.name).toBe('RUNNING');
  expect(starts()).toBe(before + 1);
  expect(Date.now() - asked).toBeLessThan(12_000);
  expect(await run.result()).toBe('set before the crash, finished after it');
}, 120_000);

test('health counts an idle tenant as served, and the worker stops cleanly with no Worker running', async () => {
  await idle();
  const body = (await (await fetch(healthUrl)).json()) as Record<string, unknown>;
  expect(body).toMatchObject({ healthy: true, expected: 1, serving: 1, active: 0, tenants: { [tenant]: { state: 'idle' } } });
  worker.kill('SIGTERM');
  expect(await processExit(worker)).toBe(0);
}, 60_000);

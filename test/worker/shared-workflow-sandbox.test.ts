// Every tenant Worker of a worker process runs its workflows in one shared sandbox: waking more tenants adds no
// sandbox thread, the sandbox goes when the last tenant goes idle, and runs asleep meanwhile finish in a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { findFreePort } from '../../dev-server/processes';
import { StewardClient, type RunHandle } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, processExit } from '../support/stack';

const TENANTS = 4;
const IDLE_MS = 15_000;
const PAUSING = readFileSync('test/fixtures/pausing-hello.yaml', 'utf8').replace('duration: 3s', 'duration: 50s');

let tenants: TenantId[];
let clients: StewardClient[];
let worker: ChildProcess;
let healthUrl: string;
let stderr = '';

beforeAll(async () => {
  tenants = await Promise.all(Array.from({ length: TENANTS }, (_, i) => createTestTenant(`sandbox-${i}`)));
  clients = await Promise.all(tenants.map((tenant) => StewardClient.connect({ tenant })));
  await Promise.all(clients.map((client) => client.register(PAUSING)));
  const port = await findFreePort();
  healthUrl = `http://127.0.0.1:${port}/healthz`;
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', ...tenants, '--health-port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // one sandbox thread, so a thread per tenant would show plainly
    env: { ...process.env, STEWARD_TENANT_IDLE_MS: String(IDLE_MS), STEWARD_TENANT_WATCH_MS: '250', STEWARD_WORKFLOW_THREADS: '1' },
  });
  worker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
}, 120_000);

afterAll(async () => {
  await Promise.all((clients ?? []).map((client) => client.close()));
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
});

/**
 * The worker process's threads that Node runs: its main thread, V8's and libuv's, and each sandbox thread. (Core,
 * the SDK's native part, starts two small threads of its own per Worker; they go by other names.)
 */
const nodeThreads = () =>
  readdirSync(`/proc/${worker.pid}/task`).filter((task) => readFileSync(`/proc/${worker.pid}/task/${task}/comm`, 'utf8').trim() === 'node').length;

async function states(): Promise<Record<string, string>> {
  try {
    const body = (await (await fetch(healthUrl)).json()) as { tenants: Record<string, { state: string }> };
    return Object.fromEntries(Object.entries(body.tenants).map(([tenant, { state }]) => [tenant, state]));
  } catch {
    return {}; // still starting
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} never happened; worker log:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const serving = (which: readonly TenantId[]) => async () => {
  const now = await states();
  return which.every((tenant) => now[tenant] === 'serving');
};
const allIdle = async () => {
  const now = await states();
  return tenants.every((tenant) => now[tenant] === 'idle');
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

test('tenants woken together share one sandbox, released when all are idle and built again when a timer wakes them', async () => {
  await until('every tenant idle at start', allIdle);
  const runs: RunHandle<string>[] = [await clients[0]!.start<string>({ workflow: 'pausing-hello', input: {} })];
  await until('the first tenant served', serving(tenants.slice(0, 1)));
  await settle();
  const withOneTenant = nodeThreads();

  runs.push(...(await Promise.all(clients.slice(1).map((client) => client.start<string>({ workflow: 'pausing-hello', input: {} })))));
  await until('every tenant served', serving(tenants));
  await settle();
  // A sandbox per Worker would add a thread for each of the three tenants woken after the first.
  expect(nodeThreads() - withOneTenant).toBeLessThanOrEqual(1);

  // All four runs now sleep on their timers: the Workers stop one by one, the last taking the sandbox with it.
  await until('every tenant idle while its run sleeps', allIdle);
  await settle();
  expect(nodeThreads()).toBeLessThan(withOneTenant);
  for (const run of runs) expect((await run.describe()).status.name).toBe('RUNNING');

  // The timers wake the tenants again, into a sandbox built afresh.
  const results = await Promise.all(runs.map((run) => run.result()));
  expect(results).toEqual(Array(TENANTS).fill('set before the crash, finished after it'));
}, 240_000);

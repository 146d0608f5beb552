// Worker replicas share the tenants among themselves with no configuration: each serves its share, a replica that
// joins takes some over, one SIGKILLed has its tenants taken over by the others within a bounded time, a dedicated
// replica (`--tenant`) keeps its tenants to itself while it lives, and a replica that stops cleanly hands its tenants
// on at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort } from '../../dev-server/processes';
import { StewardClient } from '../../src/client';
import { loadRuntimeConfig } from '../../src/config/runtime';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli, STEWARD_BIN } from '../support/cli';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';
import { processExit, uniqueTenant } from '../support/stack';

const TENANTS = 12;
const TTL_MS = 3_000;
const REFRESH_MS = 500;

let registry: ScratchDatabase;
let env: NodeJS.ProcessEnv;
const tenants: TenantId[] = [];
const replicas: ChildProcess[] = [];

interface Replica {
  process: ChildProcess;
  /** The tenants this replica's /healthz lists, or undefined while it does not answer. */
  share(): Promise<TenantId[] | undefined>;
}

async function startReplica(...args: string[]): Promise<Replica> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [STEWARD_BIN, 'worker', '--health-port', String(port), ...args], { env, stdio: 'ignore' });
  replicas.push(child);
  return {
    process: child,
    share: async () => {
      try {
        const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { tenants: Record<string, unknown> };
        return Object.keys(body.tenants).sort() as TenantId[];
      } catch {
        return undefined;
      }
    },
  };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

const sorted = (ids: Iterable<TenantId>) => [...ids].sort();

beforeAll(async () => {
  // A registry of its own: the replicas share what this test lists, not every tenant the other suites made.
  registry = await createScratchDatabase('replicas');
  env = { ...process.env, DATABASE_URL: registry.url, STEWARD_TENANT_REFRESH_MS: String(REFRESH_MS), STEWARD_REPLICA_TTL_MS: String(TTL_MS), STEWARD_TENANT_WATCH_MS: '250' };
  for (let i = 0; i < TENANTS; i += 1) {
    const id = uniqueTenant(`rp${i}`);
    expect((await runCli(['tenant', 'create', id], { env })).code).toBe(0);
    tenants.push(id);
  }
}, 240_000);

afterAll(async () => {
  for (const child of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(replicas.map((child) => processExit(child)));
  await registry?.drop();
});

test('replicas share the tenants, take over a SIGKILLed one within TTL + refresh, and leave a dedicated replica its tenants', async () => {
  const a = await startReplica();
  await until('replica A serving every tenant', async () => JSON.stringify(await a.share()) === JSON.stringify(sorted(tenants)));

  // B joins: the tenants split between A and B, each tenant on exactly one of them.
  const b = await startReplica();
  await until('the tenants split between A and B', async () => {
    const [ofA, ofB] = await Promise.all([a.share(), b.share()]);
    if (!ofA || !ofB || ofA.length === 0 || ofB.length === 0) return false;
    return JSON.stringify(sorted([...ofA, ...ofB])) === JSON.stringify(sorted(tenants));
  });
  const ofB = (await b.share())!;

  // Runs of B's tenants complete (B wakes their Workers); then B dies without a word.
  const config = loadRuntimeConfig(env);
  const hello = "id: hello\nversion: 1\nstart: done\nnodes:\n  done: { type: end, output: \"'served'\" }\n";
  const run = async (tenant: TenantId) => {
    const client = await StewardClient.connect({ tenant, config });
    try {
      await client.register(hello);
      return await (await client.start<string>({ workflow: 'hello', input: {} })).result();
    } finally {
      await client.close();
    }
  };
  expect(await run(ofB[0]!)).toBe('served');
  b.process.kill('SIGKILL');
  const takeoverMs = await until('A taking over B\'s tenants', async () => JSON.stringify(await a.share()) === JSON.stringify(sorted(tenants)));
  // B's heartbeat goes stale after the TTL and A sees it at its next refresh (plus a refresh of slack on a loaded machine).
  expect(takeoverMs).toBeLessThan(TTL_MS + 3 * REFRESH_MS + 5_000);
  expect(await run(ofB[ofB.length - 1]!)).toBe('served');

  // A dedicated replica keeps its tenant to itself while it lives; stopped cleanly, it hands the tenant back at once.
  const pinned = tenants[0]!;
  const c = await startReplica('--tenant', pinned);
  await until('A leaving the pinned tenant to C', async () => {
    const [ofA, ofC] = await Promise.all([a.share(), c.share()]);
    return JSON.stringify(ofC) === JSON.stringify([pinned]) && ofA !== undefined && !ofA.includes(pinned) && ofA.length === TENANTS - 1;
  });
  expect(await run(pinned)).toBe('served');
  c.process.kill('SIGTERM');
  expect(await processExit(c.process)).toBe(0);
  const handBackMs = await until('A serving the pinned tenant again', async () => (await a.share())?.includes(pinned) ?? false);
  // A clean stop deletes the replica's row: no TTL to wait out.
  expect(handBackMs).toBeLessThan(TTL_MS);
}, 420_000);

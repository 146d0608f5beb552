// Benchmark: tenant-create time for 200 tenants, a worker's memory and pollers with 10 vs 200 tenants, and the
// latency of a tenant-scoped definition lookup with 10 vs 200 tenants, on a stack of its own (own ports, own state).
// Run: npx tsc -p . ; node dist/scripts/bench/tenants.js [--tenants 200] [--lookups 3000] [--worker-seconds 150] [--keep]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { ownedDataDir } from '../../dev-server/postgres';
import { isPortOpen, stopProcess } from '../../dev-server/processes';
import { startStack, stopStack } from '../../dev-server/stack';
import { loadStewardEnv, StewardEnv } from '../../src/config/env';
import { findProjectRoot } from '../../src/config/project-root';
import { loadRuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { findDefinition, registerDefinition } from '../../src/definitions/registry';
import { parseDefinition } from '../../src/ir/parse';
import { assertTenantId, namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createTenant, type TenantServiceDeps } from '../../src/tenancy/tenant-service';
import { measureWorker, type WorkerMeasurement } from './support/tenants-worker-probe';

// Ports of this benchmark's own stack, far from the developer stack's 7233/8233/55432/4444/8200/4010.
const PORTS: Record<string, number> = {
  STEWARD_TEMPORAL_PORT: 27233,
  STEWARD_TEMPORAL_UI_PORT: 28233,
  STEWARD_POSTGRES_PORT: 25432,
  STEWARD_STS_PORT: 24444,
  STEWARD_VAULT_PORT: 28200,
  STEWARD_LLM_PORT: 24010,
};
const FEW = 10;
const WARMUP_LOOKUPS = 300;
const POLLER_TIMEOUT_MS = 60_000;
// A Worker per tenant costs tens of MiB: never let the benchmark's worker take the machine down with it.
const RSS_CAP_MIB = Math.min(8192, Math.floor((availableMemoryMiB() * 0.4) / 256) * 256);

function availableMemoryMiB(): number {
  const available = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(available) / 1024;
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/** The developer's environment minus anything that points at another stack or Temporal cluster. */
function isolatedEnv(stateDir: string): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([key]) => !key.startsWith('TEMPORAL_') && !(key.startsWith('STEWARD_') && key !== 'STEWARD_CACHE_DIR') && key !== 'DATABASE_URL',
  );
  return {
    ...Object.fromEntries(kept),
    ...Object.fromEntries(Object.entries(PORTS).map(([key, port]) => [key, String(port)])),
    STEWARD_STATE_DIR: stateDir,
    STEWARD_LOG_LEVEL: 'info',
  };
}

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  count: number;
}

function summarise(samplesMs: number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, count: sorted.length };
}

/** A small deterministic PRNG, so two runs pick the same tenant sequence. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function createTenants(deps: TenantServiceDeps, ids: TenantId[], app: Pool, source: string): Promise<number[]> {
  const parsed = parseDefinition(source, { filename: 'hello.yaml' });
  if (!parsed.ok) throw new Error('examples/hello.yaml does not validate');
  const times: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    await createTenant(deps, id);
    times.push(performance.now() - t0);
    // Registered through the application role, as `steward run` does; not part of the create time.
    await registerDefinition(app, id, parsed.definition, source);
  }
  return times;
}

async function measureLookups(app: Pool, tenants: TenantId[], lookups: number, seed: number): Promise<Latency> {
  const random = createRandom(seed);
  const pick = () => tenants[Math.floor(random() * tenants.length)]!;
  for (let i = 0; i < WARMUP_LOOKUPS; i++) await findDefinition(app, pick(), 'hello');
  const samples: number[] = [];
  for (let i = 0; i < lookups; i++) {
    const tenant = pick();
    const t0 = performance.now();
    const found = await findDefinition(app, tenant, 'hello');
    samples.push(performance.now() - t0);
    if (found.version !== 1) throw new Error(`tenant ${tenant} returned version ${found.version}`);
  }
  return summarise(samples);
}

const ms = (value: number) => value.toFixed(2);
const mib = (value: number) => value.toFixed(0);
const ratio = (few: number, many: number) => (few > 0 ? `${(many / few).toFixed(2)}x` : '-');
const table = (rows: string[][]) => rows.map(([label, ...cells]) => [label!.padEnd(40), ...cells.map((c) => c.padStart(16))].join(' '));

interface WorkerRun {
  label: string;
  tenants: number;
  measurement: WorkerMeasurement;
}

function printReport(n: number, creates: { few: number[]; rest: number[] }, lookups: [Latency, Latency], workers: WorkerRun[]): void {
  const all = summarise([...creates.few, ...creates.rest]);
  const few = summarise(creates.few);
  const rest = summarise(creates.rest);
  const [l10, lN] = lookups;
  const total = [...creates.few, ...creates.rest].reduce((a, b) => a + b, 0) / 1000;
  // A worker stopped before it started shows its state when stopped, marked *; what it never reached is n/a.
  const atStop = (pick: (w: WorkerMeasurement) => string) => workers.map(({ measurement: w }) => (w.started ? pick(w) : `${pick(w)}*`));
  const ifStarted = (pick: (w: WorkerMeasurement) => string) => workers.map(({ measurement: w }) => (w.started ? pick(w) : 'n/a'));
  const lines = [
    '',
    `tenant create: ${n} tenants in ${total.toFixed(1)} s (sum of createTenant calls); per tenant p50 ${ms(all.p50)} ms, p99 ${ms(all.p99)} ms, mean ${ms(all.mean)} ms`,
    '',
    ...table([
      ['figure', `${FEW} tenants`, `${n} tenants`, 'ratio'],
      [`create p50 (ms: first ${FEW} | next ${n - FEW})`, ms(few.p50), ms(rest.p50), ratio(few.p50, rest.p50)],
      ['create p99 (ms)', ms(few.p99), ms(rest.p99), ratio(few.p99, rest.p99)],
      [`definition lookup p50 (ms, ${l10.count} lookups)`, ms(l10.p50), ms(lN.p50), ratio(l10.p50, lN.p50)],
      ['definition lookup p99 (ms)', ms(l10.p99), ms(lN.p99), ratio(l10.p99, lN.p99)],
      ['definition lookup mean (ms)', ms(l10.mean), ms(lN.mean), ratio(l10.mean, lN.mean)],
    ]),
    '',
    ...table([
      ['worker process', ...workers.map((w) => w.label)],
      ['spawn to "worker started" (s)', ...atStop((w) => w.startSeconds.toFixed(1))],
      ['tenants served', ...atStop((w) => String(w.served))],
      ['RSS, idle after start (MiB)', ...atStop((w) => mib(w.rssMiB))],
      ['peak RSS (MiB)', ...atStop((w) => mib(w.peakRssMiB))],
      ['RSS / tenants served (MiB)', ...atStop((w) => (w.served ? (w.rssMiB / w.served).toFixed(1) : '-'))],
      ['OS threads', ...atStop((w) => String(w.threads))],
      ['idle CPU over 10 s (% of one core)', ...ifStarted((w) => w.idleCpuPercent.toFixed(1))],
      ['pollers on steward-agents: workflow', ...ifStarted((w) => String(w.workflowPollers))],
      ['pollers on steward-agents: activity', ...ifStarted((w) => String(w.activityPollers))],
      ['namespaces polled (both types)', ...workers.map(({ measurement: w, tenants }) => (w.started ? `${w.namespacesPolled}/${tenants}` : 'n/a'))],
      ['"cannot serve tenant yet" warnings', ...atStop((w) => String(w.notServed))],
    ]),
  ];
  if (workers.some((w) => !w.measurement.started)) lines.push('* measured when the benchmark stopped a worker that had not started (see below)');
  for (const { label, tenants, measurement: w } of workers) {
    if (w.growth.length > 0) {
      const points = w.growth.map((p) => `${p.served}: ${p.seconds.toFixed(0)} s ${mib(p.rssMiB)} MiB`).join(', ');
      lines.push(`worker ${label}, while starting (tenants served: time since spawn, RSS): ${points}`);
    }
    if (!w.started) lines.push(`worker ${label} did NOT start: ${w.failure}`, ...extrapolate(w, tenants));
  }
  console.log(lines.join('\n'));
}

/** The processes this benchmark spawned that still run: the stack's parts are detached, but remain its children. */
function childProcessIds(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // After the parenthesised command name come the state and the parent pid; a zombie is already gone.
        const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state !== 'Z' && Number(parent) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A linear fit over the growth points of a worker that was stopped before it started, clearly labelled. */
function extrapolate(w: WorkerMeasurement, size: number): string[] {
  const first = w.growth[0];
  const last = w.growth.at(-1);
  if (!first || !last || last.served === first.served) return [];
  const perTenantMiB = (last.rssMiB - first.rssMiB) / (last.served - first.served);
  const perTenantSeconds = (last.seconds - first.seconds) / (last.served - first.served);
  const missing = size - last.served;
  return [
    `  marginal cost between ${first.served} and ${last.served} tenants: ${perTenantMiB.toFixed(0)} MiB and ${perTenantSeconds.toFixed(1)} s per tenant;`,
    `  extrapolated linearly (not measured) to ${size} tenants: ~${mib(last.rssMiB + missing * perTenantMiB)} MiB RSS, ~${(last.seconds + missing * perTenantSeconds).toFixed(0)} s to start`,
  ];
}

async function main(): Promise<void> {
  const n = argument('--tenants', 200);
  const lookups = argument('--lookups', 3000);
  const workerSeconds = argument('--worker-seconds', 150);
  const keep = process.argv.includes('--keep');
  if (n <= FEW) throw new TypeError(`--tenants must be more than ${FEW}`);
  // A stack part added later with a port of its own would otherwise land on the developer stack's default port.
  const unknownPorts = Object.keys(StewardEnv.shape).filter((key) => key.endsWith('_PORT') && !(key in PORTS));
  if (unknownPorts.length > 0) throw new Error(`the benchmark has no port of its own for ${unknownPorts.join(', ')}: add it to PORTS`);
  for (const port of Object.values(PORTS)) {
    // startStack adopts whatever already answers on its ports; the benchmark must measure only its own stack.
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use: stop whatever listens there first`);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'steward-bench-tenants-'));
  const processEnv = isolatedEnv(stateDir);
  const env: StewardEnv = loadStewardEnv(processEnv);
  const say = (line: string) => console.error(`[bench] ${line}`);
  let succeeded = false;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= stopStack(env).then(async (stopped) => {
      // A start that failed half-way never wrote the stack file, so stopStack cannot see what it started.
      for (const pid of childProcessIds()) {
        await stopProcess(pid, 'SIGINT');
        stopped.push(`pid ${pid}`);
      }
      say(`stopped ${stopped.join(', ') || 'nothing'}`);
      if (!succeeded || keep) return say(`kept ${stateDir} (logs/) for inspection`);
      rmSync(stateDir, { recursive: true, force: true });
      // Under root the cluster lives outside the state folder, in a directory keyed by it (see ownedDataDir).
      if (process.getuid?.() === 0) rmSync(dirname(ownedDataDir(stateDir)), { recursive: true, force: true });
    }));
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

  try {
    say(`starting a stack of its own in ${stateDir} on ports ${Object.values(PORTS).join(', ')}`);
    const { stack } = await startStack({ env, withWorker: false, log: say });
    const config = loadRuntimeConfig(processEnv);
    const admin = createPool(config.databaseUrl, { max: 2 });
    const app = createPool(config.appDatabaseUrl);
    const connection = await Connection.connect({ address: stack.temporal.address });
    const workerEnv = { ...processEnv, DATABASE_URL: config.databaseUrl, TEMPORAL_ADDRESS: stack.temporal.address };
    try {
      const deps: TenantServiceDeps = { admin, connection, env };
      const ids = Array.from({ length: n }, (_, i) => assertTenantId(`bench-${String(i + 1).padStart(3, '0')}`));
      const source = readFileSync(join(findProjectRoot(), 'examples', 'hello.yaml'), 'utf8');
      const namespaces = ids.map((id) => namespaceForTenant(id, env.STEWARD_NAMESPACE_PREFIX));

      say(`creating ${FEW} tenants`);
      const fewCreates = await createTenants(deps, ids.slice(0, FEW), app, source);
      say(`measuring ${lookups} definition lookups over ${FEW} tenants`);
      const lookups10 = await measureLookups(app, ids.slice(0, FEW), lookups, 1);
      const worker = async (served: string[], label: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<WorkerRun> => {
        say(`starting a worker for ${label} (stopped at ${workerSeconds} s or ${RSS_CAP_MIB} MiB RSS if not started by then)`);
        const measurement = await measureWorker({
          env: { ...workerEnv, ...extraEnv },
          connection,
          namespaces: served,
          logFile: join(stack.logs_dir, `bench-worker-${label.replace(/[^a-z0-9]+/g, '-')}.log`),
          startTimeoutMs: workerSeconds * 1000,
          rssCapMiB: RSS_CAP_MIB,
          pollerTimeoutMs: POLLER_TIMEOUT_MS,
        });
        return { label, tenants: served.length, measurement };
      };
      const worker10 = await worker(namespaces.slice(0, FEW), `${FEW} tenants`);

      say(`creating ${n - FEW} more tenants`);
      const restCreates = await createTenants(deps, ids.slice(FEW), app, source);
      say(`measuring ${lookups} definition lookups over ${n} tenants`);
      const lookupsN = await measureLookups(app, ids, lookups, 2);
      const workerN = await worker(namespaces, `${n} tenants`);
      // The same again with the registry refresh pushed past the measurement, so no second sync overlaps the
      // first: separates the cost of a Worker per tenant from that of refreshes that start while one is running.
      const workerNQuiet = await worker(namespaces, `${n}, no refresh`, { STEWARD_TENANT_REFRESH_MS: '600000' });

      printReport(n, { few: fewCreates, rest: restCreates }, [lookups10, lookupsN], [worker10, workerN, workerNQuiet]);
      succeeded = true;
    } finally {
      await connection.close();
      await Promise.all([admin.end(), app.end()]);
    }
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// Benchmark: many tenants on a stack of its own (own ports, own state). Tenant-create time, definition lookups with
// few vs many tenants, and, with Workers started only for tenants that have work:
//   memory    two sharing replicas over every tenant: start-up, time until all are served or watched, RSS idle and
//             with 20 tenants busy, CPU of the watch (replicas and Temporal) while all are idle
//   wake      signal-to-next-step latency of a cold tenant (no Worker) against a warm one
//   failover  SIGKILL of one of two replicas with runs in flight: outcomes, requests per idempotency key, take-over time
//   fairness  a quiet tenant's run latency alone and beside another tenant's burst of queued runs
// Run: npx tsc -p . ; node dist/scripts/bench/tenants.js [--tenants 500] [--only lookups,memory,wake,failover,fairness]
//      [--active 20] [--wake-samples 25] [--failover-runs 50] [--failover-tenants 20] [--call-ms 2000]
//      [--failover-default-timing] [--burst 500] [--lookups 3000] [--port-base 27] [--keep]
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
import { integerArgument } from './support/arguments';
import { mib, ms, ratio, summarise, table, type Latency } from './support/latency';
import { availableMemoryMiB } from './support/proc-stats';
import { BenchSession, type TenantsBench } from './support/tenants-context';
import { measureFailover, type FailoverFigures } from './support/tenants-failover';
import { measureFairness, type FairnessFigures } from './support/tenants-fairness';
import { measureReplicaSet, type ReplicaSetFigures } from './support/tenants-memory';
import { measureWake, WAKE_IDLE_MS, type WakeFigures } from './support/tenants-wake';

const SECTIONS = ['lookups', 'memory', 'wake', 'failover', 'fairness'] as const;
type Section = (typeof SECTIONS)[number];
/** Port of each stack part, after the two-digit base: 27 gives 27233, 27432, … apart from the test stack's defaults. */
const PORT_SUFFIXES: Record<string, string> = {
  STEWARD_TEMPORAL_PORT: '233',
  STEWARD_TEMPORAL_UI_PORT: '234',
  STEWARD_POSTGRES_PORT: '432',
  STEWARD_STS_PORT: '444',
  STEWARD_VAULT_PORT: '200',
  STEWARD_LLM_PORT: '010',
  STEWARD_GATEWAY_PORT: '020',
  STEWARD_EXPENSES_PORT: '030',
  STEWARD_CODEC_PORT: '040',
  STEWARD_FEDERATION_PORT: '050',
  STEWARD_JAEGER_UI_PORT: '686',
  STEWARD_OTLP_PORT: '318',
  STEWARD_OTLP_GRPC_PORT: '317',
};
const FEW = 10;
const WARMUP_LOOKUPS = 300;
/** Retention schedules would start runs (and so Workers) in idle tenants in the middle of a measurement. */
const RETENTION_INTERVAL_MS = '86400000';
// A replica gone wrong must not take the machine down with it.
const RSS_CAP_MIB = Math.min(8192, Math.floor((availableMemoryMiB() * 0.4) / 256) * 256);
const say = (line: string) => console.error(`[bench] ${line}`);

function portsFor(base: number): Record<string, number> {
  if (base < 10 || base > 60) throw new TypeError('--port-base must be a two-digit number from 10 to 60');
  return Object.fromEntries(Object.entries(PORT_SUFFIXES).map(([key, suffix]) => [key, Number(`${base}${suffix}`)]));
}

function selectedSections(): Set<Section> {
  const at = process.argv.indexOf('--only');
  if (at === -1) return new Set(SECTIONS);
  const asked = (process.argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0 || asked.length === 0) throw new TypeError(`--only takes a comma-separated list of ${SECTIONS.join(', ')}`);
  return new Set(asked as Section[]);
}

/** The developer's environment minus anything that points at another stack or Temporal cluster. */
/** The worker settings a run of the benchmark may try (e.g. the fairness section under other per-tenant limits). */
const TUNABLE = new Set(['STEWARD_CACHE_DIR', 'STEWARD_TENANT_MAX_ACTIVITIES', 'STEWARD_TENANT_MAX_WORKFLOW_TASKS']);

function isolatedEnv(stateDir: string, ports: Record<string, number>): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([key]) => !key.startsWith('TEMPORAL_') && !(key.startsWith('STEWARD_') && !TUNABLE.has(key)) && key !== 'DATABASE_URL',
  );
  return {
    ...Object.fromEntries(kept),
    ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
    STEWARD_STATE_DIR: stateDir,
    STEWARD_LOG_LEVEL: 'info',
    STEWARD_RETENTION_INTERVAL_MS: RETENTION_INTERVAL_MS,
  };
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
  for (const [i, id] of ids.entries()) {
    const t0 = performance.now();
    await createTenant(deps, id);
    times.push(performance.now() - t0);
    // Registered through the application role, as `steward run` does; not part of the create time.
    await registerDefinition(app, id, parsed.definition, source);
    if ((i + 1) % 50 === 0) say(`  ${i + 1}/${ids.length} tenants created`);
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

const ms2 = (value: number) => value.toFixed(2);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const pct = (value: number) => value.toFixed(1);

function createReport(n: number, creates: { few: number[]; rest: number[] }): string[] {
  const all = summarise([...creates.few, ...creates.rest]);
  const few = summarise(creates.few);
  const rest = summarise(creates.rest);
  const total = sum([...creates.few, ...creates.rest]) / 1000;
  return [
    `tenant create: ${n} tenants in ${total.toFixed(1)} s (sum of createTenant calls); per tenant p50 ${ms2(all.p50)} ms, p99 ${ms2(all.p99)} ms, mean ${ms2(all.mean)} ms`,
    ...table([
      ['figure', `${FEW} tenants`, `${n} tenants`, 'ratio'],
      [`create p50 (ms: first ${FEW} | next ${n - FEW})`, ms2(few.p50), ms2(rest.p50), ratio(few.p50, rest.p50)],
      ['create p99 (ms)', ms2(few.p99), ms2(rest.p99), ratio(few.p99, rest.p99)],
    ]),
  ];
}

function lookupsReport(n: number, [l10, lN]: [Latency, Latency]): string[] {
  return table([
    ['definition lookups', `${FEW} tenants`, `${n} tenants`, 'ratio'],
    [`lookup p50 (ms, ${l10.count} lookups)`, ms2(l10.p50), ms2(lN.p50), ratio(l10.p50, lN.p50)],
    ['lookup p99 (ms)', ms2(l10.p99), ms2(lN.p99), ratio(l10.p99, lN.p99)],
    ['lookup mean (ms)', ms2(l10.mean), ms2(lN.mean), ratio(l10.mean, lN.mean)],
  ]);
}

function memoryReport(baseline: ReplicaSetFigures | undefined, many: ReplicaSetFigures, ttl: string): string[] {
  const none: ReplicaSetFigures = { tenants: 0, startSeconds: [Number.NaN], allServedSeconds: Number.NaN, share: [], idleRssMiB: [], idleCpuPercent: [], temporalIdleCpuPercent: Number.NaN };
  const few = baseline ?? none;
  const idleFew = sum(few.idleRssMiB);
  const idleMany = sum(many.idleRssMiB);
  const perTenantKiB = ((idleMany - idleFew) * 1024) / (many.tenants - few.tenants);
  const active = many.active;
  const each = (values: number[], format: (v: number) => string) => values.map(format).join(' + ');
  const lines = [
    `memory: two sharing replicas (steward worker, no --tenant), STEWARD_RETENTION_INTERVAL_MS=${RETENTION_INTERVAL_MS} so retention schedules wake no tenant while measured, STEWARD_REPLICA_TTL_MS=${ttl}`,
    ...table([
      ['replica set (replica a + replica b)', `${few.tenants} tenants`, `${many.tenants} tenants`, 'ratio'],
      ['tenants per replica', each(few.share, String), each(many.share, String), ''],
      ['spawn to "worker started" (s, slower replica)', Math.max(...few.startSeconds).toFixed(1), Math.max(...many.startSeconds).toFixed(1), ratio(Math.max(...few.startSeconds), Math.max(...many.startSeconds))],
      ['spawn to all tenants served/idle (s)', few.allServedSeconds.toFixed(1), many.allServedSeconds.toFixed(1), ratio(few.allServedSeconds, many.allServedSeconds)],
      ['RSS all idle, each (MiB)', each(few.idleRssMiB, mib), each(many.idleRssMiB, mib), ''],
      ['RSS all idle, sum (MiB)', mib(idleFew), mib(idleMany), ratio(idleFew, idleMany)],
      ['idle CPU of each replica (% of a core)', each(few.idleCpuPercent, pct), each(many.idleCpuPercent, pct), ''],
      ['idle CPU of the Temporal server (%)', pct(few.temporalIdleCpuPercent), pct(many.temporalIdleCpuPercent), ratio(few.temporalIdleCpuPercent, many.temporalIdleCpuPercent)],
    ]),
    baseline
      ? `idle cost per tenant: (${mib(idleMany)} - ${mib(idleFew)} MiB) / ${many.tenants - few.tenants} tenants = ${perTenantKiB.toFixed(0)} KiB`
      : 'idle cost per tenant: no baseline in this run (--reuse)',
  ];
  if (active) {
    const total = sum(active.rssMiB);
    lines.push(
      `with ${active.tenants} of ${many.tenants} tenants busy (runs on a 1 s timer, back to back; ${active.runs} runs done, ${active.failed} failed, ${active.workersRunning} Workers running):`,
      `  RSS each ${each(active.rssMiB, mib)} MiB, sum ${mib(total)} MiB (${total < 2048 ? 'under' : 'OVER'} the 2 GiB target; ${ratio(idleMany, total)} the all-idle sum); peak each ${each(active.peakRssMiB, mib)} MiB`,
      `  CPU each replica ${each(active.cpuPercent, pct)} %, Temporal server ${pct(active.temporalCpuPercent)} %`,
    );
  }
  return lines;
}

function wakeReport(w: WakeFigures): string[] {
  return [
    `wake: raw \`temporal workflow signal\` to a run waiting on it; STEWARD_TENANT_IDLE_MS=${WAKE_IDLE_MS}, watch every ${w.watchMs} ms`,
    ...table([
      ['signal to next step (ms)', `warm (${w.warm.count})`, `cold (${w.cold.count})`, 'ratio'],
      ['signaled event -> task completed, p50', ms(w.warm.p50), ms(w.cold.p50), ratio(w.warm.p50, w.cold.p50)],
      ['signaled event -> task completed, p99', ms(w.warm.p99), ms(w.cold.p99), ratio(w.warm.p99, w.cold.p99)],
      ['signaled event -> task completed, max', ms(w.warm.max), ms(w.cold.max), ratio(w.warm.max, w.cold.max)],
      ['CLI start -> step seen in history, p50', ms(w.warmWall.p50), ms(w.coldWall.p50), ratio(w.warmWall.p50, w.coldWall.p50)],
      ['CLI start -> step seen in history, p99', ms(w.warmWall.p99), ms(w.coldWall.p99), ratio(w.warmWall.p99, w.coldWall.p99)],
    ]),
    `  cold: signaled event -> replica logs "serving tenant" (Worker made): p50 ${ms(w.coldWorkerStarted.p50)} ms, p99 ${ms(w.coldWorkerStarted.p99)} ms (${w.coldWorkerStarted.count} samples)`,
    `  workflow tasks timed out between signal and step: cold ${w.coldTimedOutTasks}, warm ${w.warmTimedOutTasks}`,
  ];
}

function failoverReport(f: FailoverFigures): string[] {
  const seconds = (value: number | undefined) => (value === undefined ? 'never (within the wait)' : `${value.toFixed(1)} s`);
  const distribution = (d: Record<number, number>) => Object.entries(d).map(([calls, keys]) => `${keys} keys x ${calls}`).join(', ') || 'none';
  const maxCharges = Math.max(0, ...Object.keys(f.chargesPerKey).map(Number));
  return [
    `failover: ${f.runs} runs over ${f.tenants} tenants, two sharing replicas, STEWARD_REPLICA_TTL_MS=${f.timing.ttlMs} STEWARD_TENANT_REFRESH_MS=${f.timing.refreshMs} (${f.timing.defaults ? 'defaults' : 'short, not the defaults'})`,
    `  killed replica held ${f.victimTenants} tenants (${f.victimRunTenants} of the runs' ${f.tenants}); ${f.openAtKill} runs open at the kill, ${f.openAtKillOfVictim} of them on its tenants`,
    `  outcomes: ${Object.entries(f.outcomes).map(([status, count]) => `${count} ${status}`).join(', ')}`,
    `  irreversible charge requests per idempotency key (${f.chargeKeys} keys): ${distribution(f.chargesPerKey)}; max ${maxCharges}${maxCharges <= 1 ? '' : `: ${f.duplicatesResentAfterKill} of the keys sent more than once were in flight on the killed replica and sent again, same key, after the kill`}`,
    `  notify (retryable): ${f.notifies} requests for ${f.runs} runs, ${f.notifiesWithoutKey} of them without an idempotency key; per key ${distribution(f.notifiesPerKey)}`,
    `  kill -> survivor's /healthz lists all the dead replica's tenants: ${seconds(f.takenOverSeconds)}`,
    `  kill -> first request of a run of the dead replica's tenants: ${seconds(f.progressSeconds)}`,
    `  kill -> last of those ${f.openAtKillOfVictim} runs closed: ${seconds(f.victimRunsClosedSeconds)}`,
  ];
}

function fairnessReport(f: FairnessFigures): string[] {
  return [
    `fairness: one replica; a quiet tenant starts a one-tool-step run every 500 ms; a burst of ${f.burst} runs on another tenant (started in ${f.burstStartSeconds.toFixed(1)} s) took ${f.burstSeconds.toFixed(1)} s (${(f.burst / f.burstSeconds).toFixed(1)} runs/s); per-tenant limits activities ${f.limits.activities}, workflow tasks ${f.limits.workflowTasks}`,
    ...table([
      ['quiet tenant, start to completion (ms)', `alone (${f.alone.count})`, `burst (${f.duringBurst.count})`, 'ratio'],
      ['client-side p50 (start call included)', ms(f.alone.p50), ms(f.duringBurst.p50), ratio(f.alone.p50, f.duringBurst.p50)],
      ['client-side p99', ms(f.alone.p99), ms(f.duringBurst.p99), ratio(f.alone.p99, f.duringBurst.p99)],
      ['history p50 (started -> completed event)', ms(f.aloneServer.p50), ms(f.duringBurstServer.p50), ratio(f.aloneServer.p50, f.duringBurstServer.p50)],
      ['history p99', ms(f.aloneServer.p99), ms(f.duringBurstServer.p99), ratio(f.aloneServer.p99, f.duringBurstServer.p99)],
      ['history max', ms(f.aloneServer.max), ms(f.duringBurstServer.max), ratio(f.aloneServer.max, f.duringBurstServer.max)],
    ]),
    `  the slowest quiet run beside the burst, ms from its start: ${f.slowestDuringBurst.map((e) => `${e.atMs} ${e.event}`).join(', ')}`,
  ];
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

async function main(): Promise<void> {
  const n = integerArgument('--tenants', 500);
  const sections = selectedSections();
  const lookups = integerArgument('--lookups', 3000);
  const activeCount = integerArgument('--active', 20);
  const wakeSamples = integerArgument('--wake-samples', 25);
  const failoverRuns = integerArgument('--failover-runs', 50);
  const failoverTenants = integerArgument('--failover-tenants', 20);
  const callMs = integerArgument('--call-ms', 2000);
  const burst = integerArgument('--burst', 500);
  const ports = portsFor(integerArgument('--port-base', 27));
  const keep = process.argv.includes('--keep');
  const defaultTiming = process.argv.includes('--failover-default-timing');
  // The state folder of an earlier run kept with --keep, its tenants already created: skips the creation and lookups.
  // A replica's heartbeat waits for its tenant sync, which takes minutes with hundreds of tenants on a loaded server:
  // a TTL longer than that keeps the sharing replicas of the memory, wake and fairness sections from taking each
  // other's tenants. Failover sets its own.
  const replicaTtlAt = process.argv.indexOf('--replica-ttl-ms');
  const replicaTtl = replicaTtlAt === -1 ? undefined : String(integerArgument('--replica-ttl-ms', 15_000));
  const reuseAt = process.argv.indexOf('--reuse');
  const reuse = reuseAt === -1 ? undefined : process.argv[reuseAt + 1];
  const needed = Math.max(FEW + 1, activeCount, failoverTenants, 2, sections.has('wake') ? wakeSamples + 1 : 0);
  if (n < needed) throw new TypeError(`--tenants must be at least ${needed} for these sections`);
  // A stack part added later with a port of its own would otherwise land on the developer stack's default port.
  const unknownPorts = Object.keys(StewardEnv.shape).filter((key) => key.endsWith('_PORT') && !(key in ports));
  if (unknownPorts.length > 0) throw new Error(`the benchmark has no port of its own for ${unknownPorts.join(', ')}: add it to PORT_SUFFIXES`);
  for (const port of reuse ? [] : Object.values(ports)) {
    // startStack adopts whatever already answers on its ports; the benchmark must measure only its own stack.
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use: stop whatever listens there first`);
  }
  const stateDir = reuse ?? mkdtempSync(join(tmpdir(), 'steward-bench-tenants-'));
  const processEnv = isolatedEnv(stateDir, ports);
  const env: StewardEnv = loadStewardEnv(processEnv);
  // This process's own clients must reach the benchmark's stack too.
  for (const key of Object.keys(process.env)) if (key.startsWith('TEMPORAL_')) delete process.env[key];
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
  const report: string[] = [];
  const print = (lines: string[]) => {
    report.push('', ...lines);
    console.log(['', ...lines].join('\n'));
  };
  /** A section that fails is reported as such and the next one still runs. */
  const section = async (name: string, measure: () => Promise<string[]>) => {
    try {
      print(await measure());
    } catch (error) {
      print([`${name}: FAILED: ${error instanceof Error ? error.message : String(error)}`]);
    }
  };

  try {
    say(`starting a stack of its own in ${stateDir} on ports ${Object.values(ports).join(', ')}; replicas stopped at ${RSS_CAP_MIB} MiB RSS`);
    const { stack } = await startStack({ env, withWorker: false, log: say });
    const config = loadRuntimeConfig(processEnv);
    const admin = createPool(config.databaseUrl, { max: 2 });
    const app = createPool(config.appDatabaseUrl);
    const connection = await Connection.connect({ address: stack.temporal.address });
    const ids = Array.from({ length: n }, (_, i) => assertTenantId(`bench-${String(i + 1).padStart(3, '0')}`));
    const bench: TenantsBench = {
      say,
      config,
      admin,
      app,
      connection,
      temporal: stack.temporal,
      logsDir: stack.logs_dir,
      rssCapMiB: RSS_CAP_MIB,
      tenants: [],
      namespaceOf: (tenant) => namespaceForTenant(tenant, env.STEWARD_NAMESPACE_PREFIX),
      workerEnv: { ...processEnv, DATABASE_URL: config.databaseUrl, TEMPORAL_ADDRESS: stack.temporal.address, ...(replicaTtl ? { STEWARD_REPLICA_TTL_MS: replicaTtl } : {}) },
    };
    const session = new BenchSession(bench);
    try {
      const deps: TenantServiceDeps = { admin, connection, env };
      const source = readFileSync(join(findProjectRoot(), 'examples', 'hello.yaml'), 'utf8');

      if (reuse) {
        const registered = (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM tenants WHERE id LIKE 'bench-%'")).rows[0]!.n;
        if (registered !== n) throw new Error(`--reuse ${reuse} holds ${registered} bench tenants, not --tenants ${n}`);
        bench.tenants.push(...ids);
        print([`tenants: the ${n} tenants of ${reuse}, created by an earlier run (no create, lookup or ${FEW}-tenant baseline figures)`]);
        if (sections.has('memory')) await section('memory', async () => memoryReport(undefined, await measureReplicaSet(session, `memory-${n}`, ids, ids.slice(0, activeCount)), replicaTtl ?? '15000 (default)'));
      } else {
        say(`creating ${FEW} tenants`);
        const fewCreates = await createTenants(deps, ids.slice(0, FEW), app, source);
        bench.tenants.push(...ids.slice(0, FEW));
        const lookupsFew = sections.has('lookups') ? await measureLookups(app, ids.slice(0, FEW), lookups, 1) : undefined;
        const memoryFew = sections.has('memory') ? await measureReplicaSet(session, `memory-${FEW}`, bench.tenants, []) : undefined;

        say(`creating ${n - FEW} more tenants`);
        const restCreates = await createTenants(deps, ids.slice(FEW), app, source);
        bench.tenants.push(...ids.slice(FEW));
        print(createReport(n, { few: fewCreates, rest: restCreates }));
        if (lookupsFew) print(lookupsReport(n, [lookupsFew, await measureLookups(app, ids, lookups, 2)]));
        if (memoryFew) await section('memory', async () => memoryReport(memoryFew, await measureReplicaSet(session, `memory-${n}`, ids, ids.slice(0, activeCount)), replicaTtl ?? '15000 (default)'));
      }
      if (sections.has('wake')) await section('wake', async () => wakeReport(await measureWake(session, ids.slice(n - wakeSamples), ids[0]!, wakeSamples)));
      if (sections.has('fairness')) await section('fairness', async () => fairnessReport(await measureFairness(session, ids[0]!, ids[1]!, burst)));
      if (sections.has('failover')) {
        const timing = defaultTiming ? { ttlMs: 15_000, refreshMs: 5_000, defaults: true } : { ttlMs: 6_000, refreshMs: 1_000, defaults: false };
        await section('failover', async () => failoverReport(await measureFailover(session, ids.slice(0, failoverTenants), failoverRuns, callMs, timing)));
      }
      console.log(['', '==== summary ====', ...report].join('\n'));
      succeeded = true;
    } finally {
      await session.close();
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

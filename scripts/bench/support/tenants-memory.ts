// Section "memory": two sharing replicas over every registered tenant; spawn-to-"worker started", the time until
// every tenant shows as served or watched in their /healthz, RSS and CPU while all are idle, then RSS with a few
// tenants kept busy by short runs that wait on a durable timer.
import type { TenantId } from '../../../src/tenancy/tenant-id';
import { measureCpuPercent } from './proc-stats';
import { sleep, type BenchSession } from './tenants-context';
import { servedTenants, until, type WorkerReplica } from './worker-replica';

const SETTLE_MS = 5_000;
const CPU_WINDOW_MS = 10_000;
const ACTIVE_RUNNING_MS = 20_000;
const SERVED_TIMEOUT_MS = 300_000;

export const TICKER = `
id: bench-ticker
version: 1
start: pause
nodes:
  pause: { type: wait, duration: 1s, next: done }
  done: { type: end, output: "'ticked'" }
`;

export interface ReplicaSetFigures {
  tenants: number;
  startSeconds: number[];
  /** From the first spawn until every tenant is served or watched by exactly one replica. */
  allServedSeconds: number;
  share: number[];
  idleRssMiB: number[];
  idleCpuPercent: number[];
  temporalIdleCpuPercent: number;
  active?: {
    tenants: number;
    runs: number;
    failed: number;
    workersRunning: number;
    rssMiB: number[];
    peakRssMiB: number[];
    cpuPercent: number[];
    temporalCpuPercent: number;
  };
}

export async function measureReplicaSet(session: BenchSession, label: string, tenants: TenantId[], active: TenantId[]): Promise<ReplicaSetFigures> {
  const { bench } = session;
  await session.stopReplicas();
  if (active.length > 0) await session.register(active, () => TICKER);
  bench.say(`${label}: spawning two sharing replicas over ${tenants.length} tenants`);
  const replicas = [session.spawn(`${label}-a`), session.spawn(`${label}-b`)];
  try {
    const t0 = Math.min(...replicas.map((r) => r.spawnedAt));
    const startSeconds = await Promise.all(replicas.map((r) => r.started));
    const expected = new Set<string>(tenants);
    const share = await until(
      `${label}: every tenant served or watched by one replica`,
      async () => {
        const { byReplica } = await servedTenants(replicas);
        const shares = [...byReplica.values()];
        const union = new Set(shares.flatMap((s) => [...s]));
        const overlap = shares.reduce((n, s) => n + s.size, 0) - union.size;
        return union.size === expected.size && overlap === 0 && [...expected].every((t) => union.has(t)) ? shares.map((s) => s.size) : undefined;
      },
      SERVED_TIMEOUT_MS,
      250,
    );
    const allServedSeconds = (performance.now() - t0) / 1000;
    bench.say(`${label}: all ${tenants.length} tenants served or watched after ${allServedSeconds.toFixed(1)} s (shares ${share.join(' + ')})`);
    await sleep(SETTLE_MS);
    const idleRssMiB = replicas.map((r) => r.rssMiB());
    const cpu = await measureCpuPercent([...replicas.map((r) => r.pid), bench.temporal.pid ?? -1], CPU_WINDOW_MS);
    const figures: ReplicaSetFigures = {
      tenants: tenants.length,
      startSeconds,
      allServedSeconds,
      share,
      idleRssMiB,
      idleCpuPercent: cpu.slice(0, 2),
      temporalIdleCpuPercent: cpu[2]!,
    };
    if (active.length > 0) figures.active = await keepBusy(session, label, replicas, active);
    return figures;
  } finally {
    await session.stopReplicas();
  }
}

/** Each active tenant starts a run, waits for its result, and starts the next, until measured. */
async function keepBusy(session: BenchSession, label: string, replicas: WorkerReplica[], active: TenantId[]): Promise<NonNullable<ReplicaSetFigures['active']>> {
  const { bench } = session;
  let stop = false;
  let runs = 0;
  let failed = 0;
  const loops = active.map(async (tenant) => {
    const client = await session.client(tenant);
    while (!stop) {
      // A failed run is counted and the loop goes on: a throw here would leave the other loops' calls behind.
      try {
        await (await client.start({ workflow: 'bench-ticker', input: {} })).result();
        runs += 1;
      } catch (error) {
        failed += 1;
        if (failed <= 3) bench.say(`${label}: a run of ${tenant} failed: ${String(error)}`);
      }
    }
  });
  try {
    bench.say(`${label}: ${active.length} tenants keep starting runs that wait on a 1 s timer`);
    const workersRunning = async () => (await Promise.all(replicas.map((r) => r.health()))).reduce((n, h) => n + (h?.active ?? 0), 0);
    await until(`${label}: a Worker for each of the ${active.length} active tenants`, async () => (await workersRunning()) >= active.length, 180_000, 500);
    await sleep(ACTIVE_RUNNING_MS);
    const cpu = await measureCpuPercent([...replicas.map((r) => r.pid), bench.temporal.pid ?? -1], CPU_WINDOW_MS);
    return {
      tenants: active.length,
      runs,
      failed,
      workersRunning: await workersRunning(),
      rssMiB: replicas.map((r) => r.rssMiB()),
      peakRssMiB: replicas.map((r) => r.peakRssMiB()),
      cpuPercent: cpu.slice(0, 2),
      temporalCpuPercent: cpu[2]!,
    };
  } finally {
    stop = true;
    await Promise.allSettled(loops);
  }
}

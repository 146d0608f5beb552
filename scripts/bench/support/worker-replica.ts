// A `steward worker` replica spawned by the tenants benchmark against its own stack: the log events it writes (with
// the time each arrived), its /healthz on a port it picks itself, and a guard that stops it past an RSS cap so a
// replica gone wrong cannot take the machine down with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findProjectRoot } from '../../../src/config/project-root';
import type { SupervisorHealth } from '../../../src/worker/tenant-supervisor';
import { rssMiB } from './proc-stats';

export interface LogEvent {
  msg: string;
  tenant?: string;
  /** performance.now() when the line arrived. */
  at: number;
  /** The entry's own timestamp (epoch ms), comparable with Temporal's event times on the same machine. */
  time?: number;
}

export interface ReplicaOptions {
  label: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  rssCapMiB: number;
  /** Dedicated to these tenants (`--tenant`); a sharing replica when omitted. */
  tenants?: string[];
}

const STOP_GRACE_MS = 30_000;
const HEALTH_TIMEOUT_MS = 3_000;

export interface WorkerReplica {
  readonly label: string;
  readonly pid: number;
  readonly spawnedAt: number;
  readonly events: LogEvent[];
  /** Seconds from spawn to "worker started"; rejects if the process exits or passes the RSS cap first. */
  readonly started: Promise<number>;
  health(): Promise<SupervisorHealth | undefined>;
  rssMiB(): number;
  peakRssMiB(): number;
  alive(): boolean;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export function spawnReplica(options: ReplicaOptions): WorkerReplica {
  const spawnedAt = performance.now();
  const args = [join(findProjectRoot(), 'bin', 'steward.js'), 'worker', '--health-port', '0', ...(options.tenants ? ['--tenant', ...options.tenants] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stdout!.pipe(log, { end: false });
  const events: LogEvent[] = [];
  let healthPort: number | undefined;
  let peak = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let guard: NodeJS.Timeout | undefined;
  const started = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.write(line + '\n');
      let entry: { msg?: unknown; tenant?: unknown; port?: unknown; time?: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        return; // not a log entry
      }
      if (typeof entry.msg !== 'string') return;
      events.push({
        msg: entry.msg,
        tenant: typeof entry.tenant === 'string' ? entry.tenant : undefined,
        at: performance.now(),
        time: typeof entry.time === 'number' ? entry.time : undefined,
      });
      if (entry.msg.startsWith('health endpoint listening') && typeof entry.port === 'number') healthPort = entry.port;
      if (entry.msg === 'worker started') resolve((performance.now() - spawnedAt) / 1000);
    });
    void exited.then(() => reject(new Error(`replica ${options.label} exited (code ${child.exitCode}, signal ${child.signalCode}); see ${options.logFile}`)));
    guard = setInterval(() => {
      const rss = rssMiB(child.pid!);
      peak = Math.max(peak, rss);
      if (rss > options.rssCapMiB) {
        reject(new Error(`replica ${options.label} stopped by the benchmark at ${rss.toFixed(0)} MiB RSS (cap ${options.rssCapMiB} MiB)`));
        child.kill('SIGKILL');
      }
    }, 500);
  });
  started.catch(() => undefined);
  void exited.then(() => {
    clearInterval(guard);
    log.end();
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    label: options.label,
    pid: child.pid!,
    spawnedAt,
    events,
    started,
    async health() {
      if (healthPort === undefined || !alive()) return undefined;
      try {
        const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        return (await response.json()) as SupervisorHealth;
      } catch {
        return undefined;
      }
    },
    rssMiB: () => rssMiB(child.pid!),
    peakRssMiB: () => Math.max(peak, rssMiB(child.pid!)),
    alive,
    async kill() {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` every `everyMs` until it yields a value; throws with `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Tenants a set of replicas reports as served (Worker running) or watched (idle), by state. */
export async function servedTenants(replicas: WorkerReplica[]): Promise<{ serving: Set<string>; idle: Set<string>; byReplica: Map<string, Set<string>> }> {
  const serving = new Set<string>();
  const idle = new Set<string>();
  const byReplica = new Map<string, Set<string>>();
  for (const replica of replicas) {
    const mine = new Set<string>();
    const health = await replica.health();
    for (const [tenant, { state }] of Object.entries(health?.tenants ?? {})) {
      if (state === 'serving') serving.add(tenant);
      if (state === 'idle') idle.add(tenant);
      if (state !== 'not_serving') mine.add(tenant);
    }
    byReplica.set(replica.label, mine);
  }
  return { serving, idle, byReplica };
}

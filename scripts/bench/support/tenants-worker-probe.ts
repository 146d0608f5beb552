// Starts `steward worker` as a child process against the benchmark's stack and measures it: time to
// "worker started", resident memory, threads, idle CPU, and the pollers Temporal sees in each namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Connection } from '@temporalio/client';
import { findProjectRoot } from '../../../src/config/project-root';
import { TASK_QUEUE } from '../../../src/temporal/connection';

// temporal.api.enums.v1.TaskQueueType and TaskQueueKind.
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;
const TASK_QUEUE_KIND_NORMAL = 1;
// Enough parallel describeTaskQueue calls to sweep 200 namespaces quickly without flooding a 2-core dev server.
const DESCRIBE_CONCURRENCY = 16;
const IDLE_CPU_WINDOW_MS = 10_000;
const STOP_GRACE_MS = 30_000;
const MILESTONE_EVERY = 10;

export interface WorkerProbeOptions {
  env: NodeJS.ProcessEnv;
  connection: Connection;
  namespaces: string[];
  logFile: string;
  startTimeoutMs: number;
  /** The worker is stopped if its RSS passes this before it has started, so it cannot exhaust the machine. */
  rssCapMiB: number;
  pollerTimeoutMs: number;
}

/** How the worker grew while it started its per-tenant Workers: a point every MILESTONE_EVERY tenants. */
export interface GrowthPoint {
  served: number;
  seconds: number;
  rssMiB: number;
}

export interface WorkerMeasurement {
  started: boolean;
  /** Why it did not start, when it did not. */
  failure?: string;
  startSeconds: number;
  /** Tenants the worker logged "serving tenant" for, and those it could not serve yet. */
  served: number;
  notServed: number;
  rssMiB: number;
  peakRssMiB: number;
  threads: number;
  /** Pollers (distinct worker identities) Temporal lists on the task queue, summed over namespaces. */
  workflowPollers: number;
  activityPollers: number;
  /** Namespaces where both a workflow and an activity poller of this process were seen. */
  namespacesPolled: number;
  pollersSeconds: number;
  idleCpuPercent: number;
  growth: GrowthPoint[];
}

interface ProcStatus {
  rssMiB: number;
  peakRssMiB: number;
  threads: number;
}

export async function measureWorker(options: WorkerProbeOptions): Promise<WorkerMeasurement> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(findProjectRoot(), 'bin', 'steward.js'), 'worker'], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile);
  child.stdout!.pipe(log, { end: false });
  let served = 0;
  let notServed = 0;
  let failure: string | undefined;
  const growth: GrowthPoint[] = [];
  const seconds = () => (performance.now() - t0) / 1000;
  let watch: NodeJS.Timeout | undefined;
  const started = new Promise<boolean>((resolve) => {
    const fail = (reason: string) => {
      failure ??= reason;
      resolve(false);
    };
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.write(line + '\n');
      if (line.includes('"msg":"cannot serve tenant yet"')) notServed += 1;
      if (line.includes('"msg":"worker started"')) resolve(true);
      if (line.includes('"msg":"serving tenant"')) {
        served += 1;
        if (served % MILESTONE_EVERY === 0) growth.push({ served, seconds: seconds(), rssMiB: readProcStatus(child.pid!).rssMiB });
      }
    });
    child.once('exit', (code, signal) => fail(`the worker exited (code ${code}, signal ${signal}) before logging "worker started"`));
    watch = setInterval(() => {
      const { rssMiB } = readProcStatus(child.pid!);
      if (rssMiB > options.rssCapMiB) {
        fail(`stopped by the benchmark at ${rssMiB.toFixed(0)} MiB RSS (cap ${options.rssCapMiB} MiB) after ${seconds().toFixed(0)} s, with ${served} tenants served`);
      } else if (seconds() * 1000 > options.startTimeoutMs) {
        fail(`no "worker started" within ${options.startTimeoutMs / 1000} s; stopped with ${served} tenants served, ${rssMiB.toFixed(0)} MiB RSS`);
      }
    }, 500);
  });
  try {
    const ok = await started;
    clearInterval(watch);
    const startSeconds = seconds();
    const pid = child.pid!;
    const base = { startSeconds, notServed, growth, workflowPollers: 0, activityPollers: 0, namespacesPolled: 0, pollersSeconds: 0, idleCpuPercent: 0 };
    if (!ok) {
      const alive = child.exitCode === null && child.signalCode === null;
      return { ...base, ...(alive ? readProcStatus(pid) : { rssMiB: 0, peakRssMiB: 0, threads: 0 }), served, started: false, failure };
    }
    const pollers = await waitForPollers(options, pid);
    // Measured once polling has settled, so memory and CPU are the steady idle state, not start-up.
    const idleCpuPercent = await measureIdleCpu(pid);
    return { ...base, ...readProcStatus(pid), ...pollers, served, idleCpuPercent, started: true };
  } finally {
    clearInterval(watch);
    await stopChild(child);
    log.end();
  }
}

/** Sweeps every namespace until each shows this process polling both task queue types, or the time is up. */
async function waitForPollers(options: WorkerProbeOptions, pid: number): Promise<Pick<WorkerMeasurement, 'workflowPollers' | 'activityPollers' | 'namespacesPolled' | 'pollersSeconds'>> {
  const t0 = performance.now();
  const identity = `${pid}@`;
  const deadline = Date.now() + options.pollerTimeoutMs;
  for (;;) {
    const counts = await mapBounded(options.namespaces, DESCRIBE_CONCURRENCY, async (namespace) => {
      const [workflow, activity] = await Promise.all(
        [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => {
          const { pollers } = await options.connection.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: TASK_QUEUE, kind: TASK_QUEUE_KIND_NORMAL },
            taskQueueType,
          });
          // Temporal remembers recent pollers for minutes: count only this process's, not a previous worker's.
          return (pollers ?? []).filter((poller) => poller.identity?.startsWith(identity)).length;
        }),
      );
      return { workflow: workflow!, activity: activity! };
    });
    const result = {
      workflowPollers: sum(counts.map((c) => c.workflow)),
      activityPollers: sum(counts.map((c) => c.activity)),
      namespacesPolled: counts.filter((c) => c.workflow > 0 && c.activity > 0).length,
      pollersSeconds: (performance.now() - t0) / 1000,
    };
    if (result.namespacesPolled === options.namespaces.length || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** CPU the worker burns while it has no work: user + system ticks over a fixed window, as % of one core. */
async function measureIdleCpu(pid: number): Promise<number> {
  const before = cpuTicks(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_CPU_WINDOW_MS));
  const ticks = cpuTicks(pid) - before;
  // Linux reports /proc/<pid>/stat times in clock ticks of 1/100 s (USER_HZ) on every mainstream build.
  return (ticks / 100 / ((performance.now() - t0) / 1000)) * 100;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function readProcStatus(pid: number): ProcStatus {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The process is gone (it crashed, or the kernel's OOM killer took it): nothing to measure.
    return { rssMiB: 0, peakRssMiB: 0, threads: 0 };
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: field('VmRSS') / 1024, peakRssMiB: field('VmHWM') / 1024, threads: field('Threads') };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function mapBounded<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

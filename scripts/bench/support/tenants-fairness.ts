// Section "fairness": one replica; a quiet tenant starts a one-step run every QUIET_EVERY_MS, first alone (the
// baseline), then while another tenant has a burst of runs queued. Reports the quiet tenant's start-to-completion
// latency in both phases: per-tenant task limits should keep the burst from starving it.
import type { TenantId } from '../../../src/tenancy/tenant-id';
import { summarise, type Latency } from './latency';
import { startNoopTarget } from './noop-http-target';
import { EventType, eventMillis, runMillis, sleep, type BenchSession, type HistoryEvent } from './tenants-context';
import { servedTenants, until } from './worker-replica';

const QUIET_EVERY_MS = 500;
const BASELINE_MS = 15_000;
const START_CONCURRENCY = 20;

const definition = (url: string) => `
id: bench-step
version: 1
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "${url}/step" }
    next: done
  done: { type: end, output: "'stepped'" }
`;

export interface FairnessFigures {
  /** Start to completion as the client sees it (its start call included). */
  alone: Latency;
  duringBurst: Latency;
  /** Start to completion in the run's history (server clock): the worker side alone. */
  aloneServer: Latency;
  duringBurstServer: Latency;
  burst: number;
  burstSeconds: number;
  /** How long the benchmark took to start the burst's runs. */
  burstStartSeconds: number;
  limits: { activities: string; workflowTasks: string };
  /** The slowest quiet run beside the burst, event by event: ms from its start, and the event's type. */
  slowestDuringBurst: Array<{ atMs: number; event: string }>;
}

/** Each event of a run's history with the ms since its first event: where its time went. */
function timeline(events: HistoryEvent[]): Array<{ atMs: number; event: string }> {
  const start = events[0] ? eventMillis(events[0]) : 0;
  return events.map((event) => ({ atMs: eventMillis(event) - start, event: EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(event.eventType) }));
}

export async function measureFairness(session: BenchSession, busy: TenantId, quiet: TenantId, burst: number): Promise<FairnessFigures> {
  const { bench } = session;
  await session.stopReplicas();
  const target = await startNoopTarget();
  try {
    await session.register([busy, quiet], () => definition(target.url));
    await session.allowLoopback([busy, quiet]);
    const replica = session.spawn('fairness');
    await replica.started;
    await until('fairness: every tenant served or watched', async () => (await servedTenants([replica])).byReplica.get('fairness')!.size === bench.tenants.length, 300_000, 250);
    const quietClient = await session.client(quiet);
    const busyClient = await session.client(busy);
    const quietRun = async () => {
      const t0 = performance.now();
      const run = await quietClient.start({ workflow: 'bench-step', input: {} });
      await run.result();
      return { ms: performance.now() - t0, workflowId: run.workflowId };
    };
    const histories = (runs: Array<{ workflowId: string }>) => Promise.all(runs.map((run) => session.history(quiet, run.workflowId)));
    const serverSide = (histories: HistoryEvent[][]) => summarise(histories.map(runMillis).filter((v): v is number => v !== undefined));
    // Both tenants' Workers warm before anything is measured.
    await Promise.all([quietRun(), (await busyClient.start({ workflow: 'bench-step', input: {} })).result()]);
    /** Starts a quiet run every QUIET_EVERY_MS until `done()`, and returns their latencies. */
    const quietly = async (done: () => boolean) => {
      const pending: Array<ReturnType<typeof quietRun>> = [];
      while (!done()) {
        pending.push(quietRun());
        await sleep(QUIET_EVERY_MS);
      }
      return Promise.all(pending);
    };
    bench.say(`fairness: the quiet tenant alone for ${BASELINE_MS / 1000} s`);
    const baselineEnd = performance.now() + BASELINE_MS;
    const alone = await quietly(() => performance.now() > baselineEnd);

    bench.say(`fairness: a burst of ${burst} runs on the busy tenant beside the quiet one`);
    const burstStart = performance.now();
    let burstDone = false;
    let burstStartSeconds = Number.NaN;
    const burstRuns = (async () => {
      const results: Array<Promise<unknown>> = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: START_CONCURRENCY }, async () => {
          while (next < burst) {
            next += 1;
            const handle = await busyClient.start({ workflow: 'bench-step', input: {} });
            results.push(handle.result());
          }
        }),
      );
      burstStartSeconds = (performance.now() - burstStart) / 1000;
      await Promise.all(results);
      burstDone = true;
      return (performance.now() - burstStart) / 1000;
    })();
    const [duringBurst, burstSeconds] = await Promise.all([quietly(() => burstDone), burstRuns]);
    const duringBurstHistories = await histories(duringBurst);
    const slowest = duringBurstHistories.reduce((a, b) => ((runMillis(b) ?? 0) > (runMillis(a) ?? 0) ? b : a), []);
    return {
      alone: summarise(alone.map((r) => r.ms)),
      duringBurst: summarise(duringBurst.map((r) => r.ms)),
      aloneServer: serverSide(await histories(alone)),
      duringBurstServer: serverSide(duringBurstHistories),
      slowestDuringBurst: timeline(slowest),
      burstStartSeconds,
      burst,
      burstSeconds,
      limits: { activities: bench.workerEnv.STEWARD_TENANT_MAX_ACTIVITIES ?? '20 (default)', workflowTasks: bench.workerEnv.STEWARD_TENANT_MAX_WORKFLOW_TASKS ?? '10 (default)' },
    };
  } finally {
    await session.stopReplicas();
    await target.close();
  }
}

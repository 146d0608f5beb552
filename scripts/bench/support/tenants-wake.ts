// Section "wake": how long a raw `temporal workflow signal` takes to move a run on when its tenant is cold (no Worker:
// idle, only watched) against a warm tenant (Worker running), in the same run. A sample is one run waiting on a
// signal; "its next step" is the first WorkflowTaskCompleted after the WorkflowExecutionSignaled event.
import type { TenantId } from '../../../src/tenancy/tenant-id';
import { summarise, type Latency } from './latency';
import { EventType, eventMillis, sleep, whileNamespaceLoads, type BenchSession, type HistoryEvent } from './tenants-context';
import { servedTenants, until } from './worker-replica';

export const WAKE_IDLE_MS = 3_000;
const POLL_MS = 25;
const STEP_TIMEOUT_MS = 60_000;

const WAITER = `
id: bench-waiter
version: 1
start: hold
nodes:
  hold: { type: wait, signal: go, next: done }
  done: { type: end, output: "'woken'" }
`;

export interface WakeFigures {
  /** From the signal's event in history to the next completed workflow task (server clock on both). */
  cold: Latency;
  warm: Latency;
  /** From the benchmark starting the CLI to seeing that step in history (includes the CLI's own start). */
  coldWall: Latency;
  warmWall: Latency;
  watchMs: number;
  /** Cold samples: from the signal's event to the replica logging "serving tenant" (its Worker made). */
  coldWorkerStarted: Latency;
  /** Workflow tasks that timed out between the signal and the step (a sticky queue nobody polls any more). */
  coldTimedOutTasks: number;
  warmTimedOutTasks: number;
}

interface Sample {
  serverMs: number;
  wallMs: number;
  signaledAt: number;
  timedOutTasks: number;
}

export async function measureWake(session: BenchSession, cold: TenantId[], warm: TenantId, samples: number): Promise<WakeFigures> {
  const { bench } = session;
  await session.stopReplicas();
  await session.register([...cold, warm], () => WAITER);
  const replica = session.spawn('wake', { STEWARD_TENANT_IDLE_MS: String(WAKE_IDLE_MS) });
  try {
    await replica.started;
    await until('wake: every tenant served or watched', async () => (await servedTenants([replica])).byReplica.get('wake')!.size === bench.tenants.length, 300_000, 250);
    const state = async (tenant: TenantId) => (await replica.health())?.tenants[tenant]?.state;

    // Every cold sample's run is started first and left to go idle together, then woken one at a time.
    bench.say(`wake: ${cold.length} cold tenants each start a run that waits for a signal`);
    const coldRuns = await Promise.all(cold.map(async (tenant) => ({ tenant, workflowId: (await whileNamespaceLoads(async () => (await session.client(tenant)).start({ workflow: 'bench-waiter', input: {} }))).workflowId })));
    for (const run of coldRuns) await waitingForSignal(session, run.tenant, run.workflowId);
    await until('wake: every cold tenant idle', async () => (await Promise.all(cold.map(state))).every((s) => s === 'idle'), 120_000, 250);
    const coldSamples: Sample[] = [];
    for (const run of coldRuns) {
      if ((await state(run.tenant)) !== 'idle') throw new Error(`wake: tenant ${run.tenant} is not idle before its signal`);
      coldSamples.push(await signalAndTime(session, run.tenant, run.workflowId));
    }

    bench.say(`wake: ${samples} signals to runs of a warm tenant`);
    const warmSamples: Sample[] = [];
    const client = await session.client(warm);
    for (let i = 0; i < samples; i++) {
      const { workflowId } = await whileNamespaceLoads(() => client.start({ workflow: 'bench-waiter', input: {} }));
      await waitingForSignal(session, warm, workflowId);
      if ((await state(warm)) !== 'serving') throw new Error(`wake: the warm tenant's Worker is not running before sample ${i + 1}`);
      warmSamples.push(await signalAndTime(session, warm, workflowId));
    }
    const servedAt = (tenant: TenantId, after: number) => replica.events.find((e) => e.tenant === tenant && e.msg === 'serving tenant' && (e.time ?? 0) >= after)?.time;
    const workerStarted = coldRuns.map((run, i) => (servedAt(run.tenant, coldSamples[i]!.signaledAt) ?? Number.NaN) - coldSamples[i]!.signaledAt);
    return {
      coldWorkerStarted: summarise(workerStarted.filter(Number.isFinite)),
      coldTimedOutTasks: coldSamples.reduce((n, s) => n + s.timedOutTasks, 0),
      warmTimedOutTasks: warmSamples.reduce((n, s) => n + s.timedOutTasks, 0),
      cold: summarise(coldSamples.map((s) => s.serverMs)),
      warm: summarise(warmSamples.map((s) => s.serverMs)),
      coldWall: summarise(coldSamples.map((s) => s.wallMs)),
      warmWall: summarise(warmSamples.map((s) => s.wallMs)),
      watchMs: Number(bench.workerEnv.STEWARD_TENANT_WATCH_MS ?? 1000),
    };
  } finally {
    await session.stopReplicas();
  }
}

/** Waits until the run's first workflow task has completed: it now sits on its signal wait. */
async function waitingForSignal(session: BenchSession, tenant: TenantId, workflowId: string): Promise<void> {
  await until(`wake: run ${workflowId} waiting`, async () => (await session.history(tenant, workflowId)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), STEP_TIMEOUT_MS, 100);
}

async function signalAndTime(session: BenchSession, tenant: TenantId, workflowId: string): Promise<Sample> {
  const t0 = performance.now();
  await session.signalWithCli(tenant, workflowId, 'go', { n: 1 });
  let step: { signaled: HistoryEvent; next: HistoryEvent; timedOut: number } | undefined;
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!step) {
    const events = await session.history(tenant, workflowId);
    const at = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    const after = at < 0 ? [] : events.slice(at + 1);
    const next = after.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const timedOut = after.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
    if (next) step = { signaled: events[at]!, next, timedOut };
    else if (Date.now() > deadline) throw new Error(`wake: run ${workflowId} of ${tenant} took no step within ${STEP_TIMEOUT_MS / 1000} s of its signal`);
    else await sleep(POLL_MS);
  }
  const signaledAt = eventMillis(step.signaled);
  return { serverMs: eventMillis(step.next) - signaledAt, wallMs: performance.now() - t0, signaledAt, timedOutTasks: step.timedOut };
}

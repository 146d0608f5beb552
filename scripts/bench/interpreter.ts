// Benchmark: runs/second of a 5-step IR definition (set, condition, three tool calls to a loopback no-op HTTP
// target) interpreted by agentWorkflow, next to the same steps written by hand as a Temporal workflow; same server,
// same process, same worker settings, same activities. Prints both rates, their ratio and where the time goes.
// Steward runs as in production: its worker and client use the tenant's data converter (PII codec and encryption
// with the tenant's Vault key), which a hand-written workflow does without, so the ratios include the codec's cost.
// The like-for-like baseline loads the definition with the same local prepareRun activity as agentWorkflow.
// Run: npx tsc -p . ; node bin/steward.js dev --detach ; node dist/scripts/bench/interpreter.js [--runs 200] [--concurrency 20] [--warmup 30] [--rounds 4]
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { StewardClient } from '../../src/client';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime';
import { readStackFile } from '../../src/config/stack-file';
import { createPool } from '../../src/db/pool';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { cpuBetween, sampleCpu, type CpuSample } from './support/cpu-meter';
import { formatProfile, profileRuns } from './support/history-profile';
import { integerArgument } from './support/arguments';
import { withBenchTenant } from './support/bench-tenant';
import { startNoopTarget } from './support/noop-http-target';
import { runBatch, type BatchResult } from './support/run-batch';

const DEFINITION = `
id: bench-five-steps
version: 1
input: { type: object, required: [target, amount], properties: { target: { type: string }, amount: { type: number } } }
start: prepare
nodes:
  prepare: { type: set, values: { doubled: "input.amount * 2" }, next: route }
  route: { type: condition, branches: [{ when: "vars.doubled > 100", next: fetch }], default: fetch }
  fetch: { type: tool, tool: http, request: { method: GET, url: "{{ input.target }}/fetch" }, next: enrich }
  enrich: { type: tool, tool: http, request: { method: POST, url: "{{ input.target }}/enrich", body: { doubled: "{{ vars.doubled }}" } }, next: store }
  store: { type: tool, tool: http, request: { method: POST, url: "{{ input.target }}/store", body: { route: "{{ nodes.route.output.branch }}" } } }
`;
const TARGET_RATIO = 0.9;
const PROFILE_SAMPLE = 30;

type Variant = 'interpreter' | 'handwritten' | 'handwritten+prepareRun';
const VARIANTS: Variant[] = ['interpreter', 'handwritten', 'handwritten+prepareRun'];

interface Settings {
  runs: number;
  concurrency: number;
  warmup: number;
  rounds: number;
}

interface Measured {
  batch: BatchResult;
  cpu: CpuSample;
}
// Each variant gets its own task queue so only its worker serves it (and the dev stack's worker, on steward-agents, none).
const TASK_QUEUES = { interpreter: 'steward-bench-interpreter', handwritten: 'steward-bench-handwritten' };

async function main(): Promise<void> {
  const settings: Settings = { runs: integerArgument('--runs', 200), concurrency: integerArgument('--concurrency', 20), warmup: integerArgument('--warmup', 30), rounds: integerArgument('--rounds', 4) };
  const config = loadRuntimeConfig();
  await withBenchTenant(config, 'bench', (tenant) => bench(config, tenant, settings));
}

async function bench(config: RuntimeConfig, tenant: TenantId, settings: Settings): Promise<void> {
  const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  const steward = await StewardClient.connect({ tenant, config });
  await steward.register(DEFINITION).finally(() => steward.close());
  const target = await startNoopTarget();
  const [connection, clientConnection, productionBundle, benchBundle] = await Promise.all([
    NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress)),
    Connection.connect(loadConnectionOptions(config.localTemporalAddress)),
    createWorkflowBundle(),
    bundleWorkflowCode({ workflowsPath: require.resolve('./support/handwritten-workflows'), logger: SILENT }),
  ]);
  const pool = createPool(config.appDatabaseUrl);
  // One activity set and one options shape for both workers: only the workflow code differs.
  const shared = createSharedActivityDeps(StewardRuntime.create(config), console);
  const activities = createActivities({ ...shared, piiSubjectKeys: shared.piiSubjectKeyVaults.forTenant(tenant), pool, tenant });
  // The data converter `steward worker` and the typed client use for this tenant.
  const share = shared.runtime.tenantOf({ id: tenant, namespace });
  const dataConverter = share.dataConverter();
  const workerFor = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap, converter?: typeof dataConverter) =>
    Worker.create({ connection, namespace, taskQueue, workflowBundle, activities, ...(converter ? { dataConverter: converter } : {}) });
  const workers = await Promise.all([workerFor(TASK_QUEUES.interpreter, productionBundle, dataConverter), workerFor(TASK_QUEUES.handwritten, benchBundle)]);
  const running = workers.map((worker) => worker.run());
  const client = new Client({ connection: clientConnection, namespace });
  const stewardClient = new Client({ connection: clientConnection, namespace, dataConverter });
  const input = { target: target.url, amount: 60 };
  let sequence = 0;
  const runOne = async (variant: Variant): Promise<string> => {
    const workflowId = `bench-${variant.replace('+', '-')}-${sequence++}`;
    if (variant === 'interpreter') {
      await stewardClient.workflow.execute('agentWorkflow', { taskQueue: TASK_QUEUES.interpreter, workflowId, args: [{ workflow: 'bench-five-steps', version: 1, input }] });
    } else if (variant === 'handwritten') {
      await client.workflow.execute('handwrittenFiveSteps', { taskQueue: TASK_QUEUES.handwritten, workflowId, args: [input] });
    } else {
      await client.workflow.execute('handwrittenFiveStepsWithPrepare', { taskQueue: TASK_QUEUES.handwritten, workflowId, args: [{ ...input, workflow: 'bench-five-steps', version: 1 }] });
    }
    return workflowId;
  };
  try {
    console.log('interpreter: production data converter (PII codec + encryption); handwritten: Temporal\'s default converter; prepareRun local in both');
    console.log(`tenant ${tenant}; ${settings.warmup} warm-up runs per variant, then ${settings.runs} measured in ${settings.rounds} interleaved rounds, ${settings.concurrency} in flight`);
    for (const variant of VARIANTS) await runBatch(settings.warmup, settings.concurrency, () => runOne(variant));
    const serverPid = readStackFile(config.env.STEWARD_STATE_DIR)?.temporal.pid;
    const results = await measureInterleaved(settings, serverPid, runOne);
    report(results);
    for (const variant of VARIANTS) {
      console.log(formatProfile(variant, await profileRuns(client, results[variant].batch.workflowIds.slice(-PROFILE_SAMPLE))));
    }
    console.log(`no-op target answered ${target.requests()} requests`);
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await shared.runtime.close();
    await Promise.all([clientConnection.close(), pool.end(), target.close()]);
    await connection.close();
  }
}

/** Rounds alternate the order (A B C, C B A, …) so a server that slows down as it fills, or a neighbour's load, favours no variant. */
async function measureInterleaved(settings: Settings, serverPid: number | undefined, runOne: (variant: Variant) => Promise<string>): Promise<Record<Variant, Measured>> {
  const parts: Record<Variant, Measured[]> = { interpreter: [], handwritten: [], 'handwritten+prepareRun': [] };
  for (let round = 0; round < settings.rounds; round++) {
    const count = Math.floor(settings.runs / settings.rounds) + (round < settings.runs % settings.rounds ? 1 : 0);
    for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const before = sampleCpu(serverPid);
      const batch = await runBatch(count, settings.concurrency, () => runOne(variant));
      parts[variant].push({ batch, cpu: cpuBetween(before, sampleCpu(serverPid)) });
    }
  }
  return Object.fromEntries(VARIANTS.map((variant) => [variant, combine(parts[variant])])) as Record<Variant, Measured>;
}

function combine(parts: Measured[]): Measured {
  const runs = parts.reduce((n, p) => n + p.batch.runs, 0);
  const seconds = parts.reduce((n, p) => n + p.batch.seconds, 0);
  const serverMs = parts.every((p) => p.cpu.serverMs !== undefined) ? parts.reduce((n, p) => n + p.cpu.serverMs!, 0) : undefined;
  return {
    batch: {
      runs,
      seconds,
      runsPerSecond: runs / seconds,
      p50Ms: Math.max(...parts.map((p) => p.batch.p50Ms)),
      p95Ms: Math.max(...parts.map((p) => p.batch.p95Ms)),
      workflowIds: parts.flatMap((p) => p.batch.workflowIds),
    },
    cpu: { benchMs: parts.reduce((n, p) => n + p.cpu.benchMs, 0), serverMs },
  };
}

function report(results: Record<Variant, Measured>): void {
  for (const variant of VARIANTS) {
    const { batch: r, cpu } = results[variant];
    const server = cpu.serverMs === undefined ? 'n/a' : (cpu.serverMs / r.runs).toFixed(1);
    console.log(
      `${variant.padEnd(24)} ${r.runsPerSecond.toFixed(1).padStart(7)} runs/s  (${r.runs} runs in ${r.seconds.toFixed(2)} s; ` +
        `p50 ${r.p50Ms.toFixed(0)} ms, p95 ${r.p95Ms.toFixed(0)} ms; CPU per run: bench process ${(cpu.benchMs / r.runs).toFixed(1)} ms, Temporal server ${server} ms)`,
    );
  }
  const rate = (variant: Variant) => results[variant].batch.runsPerSecond;
  const ratio = rate('interpreter') / rate('handwritten');
  const likeForLike = rate('interpreter') / rate('handwritten+prepareRun');
  console.log(`ratio interpreter / handwritten:                ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`);
  console.log(`ratio interpreter / handwritten with prepareRun: ${likeForLike.toFixed(3)} (the same three activities and local prepareRun; Steward with its codec)`);
}


const noop = () => undefined;
const SILENT = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

// Benchmark (not a test): latency from an approval signal being sent to the next step's activity starting, over N
// approvals on the local stack, next to a bare Temporal signal → activity round trip measured in the same run.
// Run: `node bin/steward.js dev --detach`, then `node dist/scripts/bench/approvals.js [--approvals 200]`.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { mintDevToken } from '../../dev-server/sts';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { assertTenantId, namespaceForTenant } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { createTenantWorker } from '../../src/worker/tenant-worker';
import { integerArgument } from './support/arguments';
import { withBenchTenant } from './support/bench-tenant';
import { startNoopTarget } from './support/noop-http-target';

const BARE_QUEUE = 'steward-bench-bare-signal';
const TARGET_P99_MS = 100;
const DEFINITION = `
id: bench-approval
version: 1
input: { type: object, properties: { target: { type: string } } }
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: after }
  after: { type: tool, tool: http, request: { method: GET, url: "{{ input.target }}/after" }, next: done }
  done: { type: end }
`;

async function main(): Promise<void> {
  const count = integerArgument('--approvals', 200);
  const config = loadRuntimeConfig();
  if (!config.identity) throw new Error('no identity provider: start the local stack (`steward dev --detach`)');
  await withBenchTenant(config, 'bench-appr', (tenant) => bench(config, tenant, count));
}

async function bench(config: RuntimeConfig, tenant: ReturnType<typeof assertTenantId>, count: number): Promise<void> {
  const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  const steward = await StewardClient.connect({ tenant, config });
  await steward.register(DEFINITION);
  const target = await startNoopTarget();
  // Each decision spends its token, and the run's starter (alice) is verified, so every run gets fresh tokens.
  const tokens = async () => ({
    starter: (await mintDevToken(config.identity!.issuer, { user: 'alice', tenant, ttlSeconds: 3600 })).accessToken,
    approver: (await mintDevToken(config.identity!.issuer, { user: 'carol', tenant, groups: ['finance-managers'], ttlSeconds: 3600 })).accessToken,
  });
  const [connection, clientConnection, productionBundle, bareBundle] = await Promise.all([
    NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress)),
    Connection.connect(loadConnectionOptions(config.localTemporalAddress)),
    createWorkflowBundle(),
    bundleWorkflowCode({ workflowsPath: require.resolve('./support/bare-signal-workflows'), logger: SILENT }),
  ]);
  const pool = createPool(config.appDatabaseUrl);
  const shared = createSharedActivityDeps(StewardRuntime.create(config), console);
  // Steward's own worker, codec included, as production runs it; the baseline is Temporal alone.
  const workers = await Promise.all([
    createTenantWorker({ connection, bundle: productionBundle, pool, tenant, namespace, shared }),
    Worker.create({ connection, namespace, taskQueue: BARE_QUEUE, workflowBundle: bareBundle, activities: createActivities({ ...shared, piiSubjectKeys: shared.piiSubjectKeyVaults.forTenant(tenant), pool, tenant }) }),
  ]);
  const running = workers.map((worker) => worker.run());
  const client = new Client({ connection: clientConnection, namespace });
  try {
    const approval: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < count + 10; i++) {
      // Interleaved, one at a time: latency, not throughput, is measured; the first 10 of each warm up.
      const a = await approvalLatency(client, steward, await tokens(), target.url, i);
      const b = await bareLatency(client, target.url, i);
      if (i >= 10) {
        approval.push(a);
        bare.push(b);
      }
    }
    const line = (name: string, values: number[]) =>
      `${name.padEnd(36)} p50 ${percentile(values, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(values, 99).toFixed(1).padStart(6)} ms   (n=${values.length})`;
    console.log(line('approval signal → next activity', approval));
    console.log(line('bare signal → activity (baseline)', bare));
    const p99 = percentile(approval, 99);
    console.log(`ratio p50 approval / bare: ${(percentile(approval, 50) / percentile(bare, 50)).toFixed(2)}; approval p99 target < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'}`);
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await shared.runtime.close();
    await pool.end();
    await steward.close();
    await clientConnection.close();
    await connection.close();
    await target.close();
  }
}

/** From the moment the decision is sent to the moment the next step's activity starts (server event time). */
async function approvalLatency(client: Client, steward: StewardClient, token: { starter: string; approver: string }, target: string, i: number): Promise<number> {
  // Through the tenant's client: payloads, the signal included, are encrypted as in production.
  const run = await steward.start({ workflow: 'bench-approval', workflowId: `bench-approval-${i}`, input: { target }, userToken: token.starter });
  while ((await run.query<{ status: string }>('state')).status !== 'awaiting_approval') await sleep(5);
  const sent = Date.now();
  await run.signal('approval', { decision: 'approve', token: token.approver });
  await run.result();
  return (await activityStartedAt(client.workflow.getHandle(run.workflowId), 'runTool')) - sent;
}

async function bareLatency(client: Client, target: string, i: number): Promise<number> {
  const handle = await client.workflow.start('bareSignalThenTool', { taskQueue: BARE_QUEUE, workflowId: `bench-bare-${i}`, args: [target] });
  while (!((await handle.fetchHistory()).events ?? []).some((e) => e.workflowTaskCompletedEventAttributes)) await sleep(5);
  const sent = Date.now();
  await handle.signal('go');
  await handle.result();
  return (await activityStartedAt(handle, 'runTool')) - sent;
}

async function activityStartedAt(handle: WorkflowHandle, activityType: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId));
  const time = started?.eventTime;
  if (!time) throw new Error(`no ${activityType} start in ${handle.workflowId}`);
  return Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noop = () => undefined;
const SILENT = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

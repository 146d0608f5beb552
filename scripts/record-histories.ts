// Records the histories that test/replay replays: runs every scenario on the running local stack in a fresh
// tenant, with an in-process worker, and stores each run's history, sanitized, under test/replay/histories.
// Run: npx tsc -p . ; node bin/steward.js dev --detach ; node dist/scripts/record-histories.js [--set NAME] [--workflows-rev REV]
// A set (default: today's date) is a folder of its own; earlier sets are kept, since they stand for runs in flight.
// --workflows-rev records with workflows/ as of a git revision (e.g. HEAD) instead of the working tree.
// --only NAME,… records those scenarios alone (a set for a new node type, beside the sets recorded before it).
import { homedir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { isStsHealthy } from '../dev-server/sts';
import { StewardClient } from '../src/client';
import { findProjectRoot } from '../src/config/project-root';
import { loadRuntimeConfig, type RuntimeConfig } from '../src/config/runtime';
import { createPool } from '../src/db/pool';
import { loadConnectionOptions } from '../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../src/tenancy/tenant-id';
import { deleteTenant } from '../src/tenancy/tenant-service';
import { StewardRuntime } from '../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../src/worker/shared-deps';
import { createTenantWorker } from '../src/worker/tenant-worker';
import { decodeHistoryPayloads } from '../test/replay/decode-history';
import { historyToJson } from '../test/replay/history-json';
import { SCENARIOS, type RecordedRun, type RecordingContext } from '../test/replay/recording/scenarios';
import { assertShareable, sanitizeHistory } from '../test/replay/recording/sanitize-history';
import { writeHistorySet } from '../test/replay/stored-histories';
import { startHttpTarget } from '../test/support/http-target';
import { bundleWorkflowsCopy } from '../test/replay/workflows-copy-bundle';
import { subjectKeyVaultsFor } from '../src/codec/pii-vault/subject-key-vault';
import { createTestTenant } from '../test/support/stack';

type RecordedHistory = Parameters<typeof writeHistorySet>[1][number];

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : (process.argv[at + 1] ?? '');
}

function setName(): string {
  const set = option('--set') ?? new Date().toISOString().slice(0, 10);
  if (!/^[\w.-]+$/.test(set)) throw new TypeError('--set must be a plain folder name');
  return set;
}

async function main(): Promise<void> {
  const set = setName();
  const config = loadRuntimeConfig();
  const stsUrl = config.identity?.issuer;
  if (!stsUrl || !(await isStsHealthy(stsUrl))) throw new Error('the local STS is not running: start the stack with `node bin/steward.js dev --detach`');
  const tenant = await createTestTenant('replay-rec', config);
  try {
    const bundle = await bundleWorkflowsCopy({ revision: option('--workflows-rev') });
    const histories = await recordAll(config, tenant, stsUrl, bundle);
    console.log(`stored ${histories.length} histories in ${writeHistorySet(set, histories)}`);
  } finally {
    await removeTenant(config, tenant);
  }
}

async function recordAll(config: RuntimeConfig, tenant: TenantId, stsUrl: string, bundle: WorkflowBundleWithSourceMap): Promise<RecordedHistory[]> {
  const [worker, client, target, connection] = await Promise.all([
    startWorker(config, tenant, bundle),
    StewardClient.connect({ tenant, config }),
    startHttpTarget(),
    Connection.connect(loadConnectionOptions(config.localTemporalAddress)),
  ]);
  // the tenant's codecs let scenarios read results (payloads are encrypted); histories are still fetched raw
  const temporal = new Client({ connection, namespace: namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX), dataConverter: { payloadCodecs: [...worker.codecs] } });
  const context: RecordingContext & { codecs: readonly PayloadCodec[] } = { client, temporal, target, tenant, stsUrl, codecs: worker.codecs };
  try {
    const histories: RecordedHistory[] = [];
    const only = option('--only')?.split(',');
    for (const scenario of SCENARIOS.filter((candidate) => only === undefined || only.includes(candidate.name))) {
      const started = Date.now();
      const runs = await scenario.record(context);
      for (const run of runs) histories.push(await fetchSanitized(temporal, run, context.codecs));
      console.log(`recorded ${scenario.name} (${runs.map((r) => r.name).join(', ')}) in ${Date.now() - started} ms`);
    }
    return histories;
  } finally {
    await connection.close();
    await client.close();
    await target.close();
    await worker.stop();
  }
}

/** A tenant worker as production runs it, but on the given bundle. */
async function startWorker(
  config: RuntimeConfig,
  tenant: TenantId,
  bundle: WorkflowBundleWithSourceMap,
): Promise<{ codecs: readonly PayloadCodec[]; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  const shared = createSharedActivityDeps(StewardRuntime.create(config), console);
  const worker = await createTenantWorker({ connection, bundle, pool, tenant, namespace, shared });
  const running = worker.run();
  return {
    codecs: worker.options.loadedDataConverter.payloadCodecs,
    async stop() {
      worker.shutdown();
      await running;
      await pool.end();
      await connection.close();
    },
  };
}

async function fetchSanitized(temporal: Client, run: RecordedRun, codecs: readonly PayloadCodec[]): Promise<RecordedHistory> {
  const history = await temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  await decodeHistoryPayloads(history, codecs);
  const json = sanitizeHistory(historyToJson(history)) as RecordedHistory['json'];
  assertShareable(run.name, json, [findProjectRoot(), homedir()]);
  return { run: run.name, workflowId: run.workflowId, json };
}

async function removeTenant(config: RuntimeConfig, tenant: TenantId): Promise<void> {
  const admin = createPool(config.databaseUrl, { max: 1 });
  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  try {
    await deleteTenant({ admin, connection, env: config.env, subjectKeys: subjectKeyVaultsFor(config) }, tenant, { force: true });
  } finally {
    await connection.close();
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

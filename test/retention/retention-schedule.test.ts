// Each tenant's retention schedule: created with the tenant, listed by the Temporal CLI, ensured by the worker for a
// tenant that lacks one, and purging expired PII-vault entries on its own, with no purge called by anyone.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { listAuditEvents } from '../../src/audit/audit-log';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { ensureRetentionSchedule, RETENTION_SCHEDULE_ID } from '../../src/retention/retention-schedule';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { findTenant } from '../../src/tenancy/tenant-registry';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { TenantSupervisor } from '../../src/worker/tenant-supervisor';
import { createTestTenant, temporalCli, testConfig } from '../support/stack';

// Every process of this file (tenant creation, the worker) schedules purges every 2 s instead of every 10 minutes.
process.env.STEWARD_RETENTION_INTERVAL_MS = '2000';
const config = testConfig();

let tenant: TenantId;
let namespace: string;
let app: Pool;
let owner: Pool;
let keys: KeyringFactory;
let connection: Connection;
let worker: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  tenant = await createTestTenant('retention');
  namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  owner = createPool(config.databaseUrl, { max: 2 });
  keys = createKeyringFactory(config, app);
  connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
});
afterAll(async () => {
  await worker?.stop();
  keys?.close();
  await connection?.close();
  await app?.end();
  await owner?.end();
});

/** Serves the tenant the way `steward worker` does: through the supervisor, which ensures retention schedules. */
async function superviseTenant(): Promise<{ stop(): Promise<void> }> {
  const connect = () => NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const [native, bundle] = await Promise.all([connect(), createWorkflowBundle()]);
  const log = createLogger('retention-test', 'warn');
  const shared = createSharedActivityDeps(StewardRuntime.create(config), log);
  const supervisor = new TenantSupervisor({ connection: native, bundle, pool: app, log, shared, retention: { connection, intervalMs: 2_000 }, connect });
  await supervisor.sync([(await findTenant(app, tenant))!]);
  return {
    async stop() {
      await supervisor.shutdown();
      await shared.runtime.close();
      await native.close();
    },
  };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const idOf = (token: string) => /tok_([^\]]+)/.exec(token)![1]!;
const tokensLeft = async () => (await owner.query<{ token: string }>('SELECT token FROM pii_vault WHERE tenant_id = $1', [tenant])).rows.map((row) => row.token);

test('a tenant gets its retention schedule when it is created: `temporal schedule list` shows it', async () => {
  const listed = await temporalCli(['schedule', 'list', '--namespace', namespace]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(RETENTION_SCHEDULE_ID);
  const described = await new Client({ connection, namespace }).schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
  expect(described.spec.intervals?.map((interval) => interval.every)).toEqual([2_000]);
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionWorkflow' });
});

test('the worker gives a tenant without a schedule its schedule back', async () => {
  expect((await temporalCli(['schedule', 'delete', '--namespace', namespace, '--schedule-id', RETENTION_SCHEDULE_ID])).code).toBe(0);
  worker = await superviseTenant();
  const listed = await temporalCli(['schedule', 'list', '--namespace', namespace]);
  expect(listed.stdout).toContain(RETENTION_SCHEDULE_ID);
});

test('expired vault entries are purged by the schedule, with no purge called, and the purge is audited', async () => {
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 });
  const expired = await vault.tokenize('email', 'retention.expired@example.org');
  const live = await vault.tokenize('email', 'retention.live@example.org');
  // As if the first entry's retention had run out a moment ago.
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(expired)]);

  worker ??= await superviseTenant();
  const left = await waitFor(tokensLeft, (tokens) => !tokens.includes(idOf(expired)));
  expect(left).toEqual([idOf(live)]);
  const purged = (await listAuditEvents(app, tenant)).filter((event) => event.type === 'pii.purged');
  expect(purged.map((event) => [event.agentId, event.payload])).toContainEqual(['steward-retention', { entries: 1 }]);
  // The purge ran as a run of the schedule's retention workflow, visible in the tenant's namespace (visibility
  // catches up a moment after the run closes).
  const completedRuns = async () => {
    let completed = 0;
    for await (const run of new Client({ connection, namespace }).workflow.list({ query: `WorkflowType = 'retentionWorkflow'` })) {
      if (run.status.name === 'COMPLETED') completed += 1;
    }
    return completed;
  };
  expect(await waitFor(completedRuns, (count) => count > 0, 15_000)).toBeGreaterThan(0);
});

test('ensuring the schedule again is idempotent, and brings a schedule with another interval to the configured one', async () => {
  const describe = async () => (await new Client({ connection, namespace }).schedule.getHandle(RETENTION_SCHEDULE_ID).describe()).spec.intervals?.map((i) => i.every);
  expect(await ensureRetentionSchedule(connection, namespace, 2_000)).toBe('exists');
  expect(await ensureRetentionSchedule(connection, namespace, 60_000)).toBe('updated');
  expect(await describe()).toEqual([60_000]);
  expect(await ensureRetentionSchedule(connection, namespace, 60_000)).toBe('exists');
});

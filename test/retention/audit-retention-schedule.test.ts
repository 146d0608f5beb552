// Retention of the audit trail, driven by the tenant's Temporal Schedule: with a 1-minute retention, a run of the
// schedule (triggered through Temporal, as an operator or the interval would) purges the entries older than a
// minute under a signed marker, with the tenant's expired ledger rows and user tokens, and the chain still verifies.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { RETENTION_SCHEDULE_ID } from '../../src/retention/retention-schedule';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { findTenant } from '../../src/tenancy/tenant-registry';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { TenantSupervisor } from '../../src/worker/tenant-supervisor';
import { runCli } from '../support/cli';
import { createTestTenant, temporalCli, testConfig } from '../support/stack';

// Hourly, so within this test the schedule runs only when it is triggered.
const INTERVAL_MS = 3_600_000;
process.env.STEWARD_RETENTION_INTERVAL_MS = String(INTERVAL_MS);
const config = testConfig();

let tenant: TenantId;
let namespace: string;
let app: Pool;
let owner: Pool;
let connection: Connection;
let worker: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  tenant = await createTestTenant('audit-retention');
  namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  owner = createPool(config.databaseUrl, { max: 2 });
  connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await app?.end();
  await owner?.end();
});

/** Serves the tenant the way `steward worker` does: through the supervisor, with the production activity deps. */
async function superviseTenant(): Promise<{ stop(): Promise<void> }> {
  const connect = () => NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const [native, bundle] = await Promise.all([connect(), createWorkflowBundle()]);
  const log = createLogger('audit-retention-test', 'warn');
  const shared = createSharedActivityDeps(StewardRuntime.create(config), log);
  const supervisor = new TenantSupervisor({ connection: native, bundle, pool: app, log, shared, retention: { connection, intervalMs: INTERVAL_MS }, connect });
  await supervisor.sync([(await findTenant(app, tenant))!]);
  return {
    async stop() {
      await supervisor.shutdown();
      await shared.runtime.close();
      shared.auditSigner?.close();
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seqs = async () => (await owner.query<{ seq: string }>('SELECT seq FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenant])).rows.map((row) => Number(row.seq));
const count = async (table: 'llm_ledger' | 'user_tokens') => Number((await owner.query(`SELECT count(*) FROM ${table} WHERE tenant_id = $1`, [tenant])).rows[0].count);

test('`steward tenant retention` sets a 1-minute retention for audit entries and ledger rows, and refuses less', async () => {
  const set = await runCli(['tenant', 'retention', tenant, '--audit-events', '1m', '--llm-ledger', '1m']);
  expect(set).toMatchObject({ code: 0, stdout: `tenant ${tenant}: retention audit_events 1m, llm_ledger 1m\n` });
  const refused = await runCli(['tenant', 'retention', tenant, '--audit-events', '10s']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('retention.audit_events: at least 1m');
});

test('`temporal schedule list` shows the tenant\'s retention schedule', async () => {
  const listed = await temporalCli(['schedule', 'list', '--namespace', namespace]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(RETENTION_SCHEDULE_ID);
});

test('with a 1-minute retention, the triggered schedule purges older entries under a signed marker, and the chain verifies', async () => {
  for (let i = 1; i <= 10; i++) await recordAuditEvent(app, tenant, { type: 'test.step', step: `old-${i}`, agentId: 'tester', payload: { i } });
  // A ledger row from two minutes ago, an expired user token and a live one.
  const ledgerRow = `INSERT INTO llm_ledger (tenant_id, workflow_id, run_id, agent_id, node_id, provider, model, status, root_workflow_id, lineage, created_at)
                     VALUES ($1, 'wf', 'run', 'agent', 'node', 'openai', 'gpt-4o-mini', 'completed', 'wf', ARRAY['wf'], now() - $2::interval)`;
  await owner.query(ledgerRow, [tenant, '2 minutes']);
  const tokenRow = `INSERT INTO user_tokens (tenant_id, handle, subject, workflow_id, key_id, sealed, expires_at)
                    VALUES ($1, gen_random_uuid(), 'user-1', 'wf', 'k1', '\\x00', now() + $2::interval)`;
  await owner.query(tokenRow, [tenant, '-1 second']);
  await owner.query(tokenRow, [tenant, '1 hour']);

  // The ten entries pass their 1-minute retention; the three entries and the ledger row written after stay within it.
  await sleep(62_000);
  for (let i = 1; i <= 3; i++) await recordAuditEvent(app, tenant, { type: 'test.step', step: `new-${i}`, agentId: 'tester', payload: { i } });
  await owner.query(ledgerRow, [tenant, '0 seconds']);

  worker = await superviseTenant();
  const triggered = await temporalCli(['schedule', 'trigger', '--namespace', namespace, '--schedule-id', RETENTION_SCHEDULE_ID]);
  expect(triggered).toMatchObject({ code: 0 });

  const left = await waitFor(seqs, (remaining) => remaining[0] === 11);
  // Entries 11..13 and the purge's own audit.purged entry (and those of the ledger and token purges before it).
  expect(left.slice(0, 3)).toEqual([11, 12, 13]);

  // The purge ran as a run of the schedule's retention workflow (visibility catches up a moment after it closes).
  const completedRuns = async () => {
    const query = `WorkflowType = 'retentionWorkflow' AND ExecutionStatus = 'Completed'`;
    return (await new Client({ connection, namespace }).workflow.count(query)).count;
  };
  expect(await waitFor(completedRuns, (runs) => runs > 0, 20_000)).toBeGreaterThan(0);
  expect(await count('llm_ledger')).toBe(1);
  expect(await count('user_tokens')).toBe(1);

  const types = (await owner.query<{ event_type: string; payload: unknown }>('SELECT event_type, payload FROM audit_events WHERE tenant_id = $1 AND seq > 13 ORDER BY seq', [tenant])).rows;
  expect(types).toEqual([
    { event_type: 'user_tokens.purged', payload: { entries: 1 } },
    { event_type: 'llm_ledger.purged', payload: { entries: 1 } },
    { event_type: 'audit.purged', payload: { entries: 10, through_seq: 10, older_than: expect.any(String) } },
  ]);

  const verified = await runCli(['audit', 'verify', '--tenant', tenant, '--json']);
  expect(verified.code).toBe(0);
  expect(JSON.parse(verified.stdout)).toMatchObject({ intact: true, entries: 6, purgedThrough: 10 });
}, 180_000);

// Tenant lifecycle: create is idempotent, suspension stops new runs only, delete refuses open runs unless
// forced, and a worker serving every tenant follows creations and deletions.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { loadRuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { RETENTION_SCHEDULE_ID, RETENTION_WORKFLOW_TYPE } from '../../src/retention/retention-schedule';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { upsertTenantWithPartitions } from '../../src/tenancy/tenant-registry';
import { STEWARD_BIN, runCli } from '../support/cli';
import { createScratchDatabase } from '../support/scratch-database';
import { processExit, testConfig, uniqueTenant, waitForHistoryEvent } from '../support/stack';

const HELLO = readFileSync('examples/hello.yaml', 'utf8');
const PAUSING = readFileSync('test/fixtures/pausing-hello.yaml', 'utf8').replace('duration: 3s', 'duration: 10m');
const config = testConfig();

/** Triggers the tenant's retention schedule and waits until its run is open. */
async function openRetentionRun(tenant: TenantId): Promise<void> {
  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  try {
    const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
    await new Client({ connection, namespace }).schedule.getHandle(RETENTION_SCHEDULE_ID).trigger();
    const query = `WorkflowType = '${RETENTION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
    for (let tries = 0; ; tries++) {
      const { count } = await connection.workflowService.countWorkflowExecutions({ namespace, query });
      if (Number(count) > 0) return;
      if (tries > 100) throw new Error('the retention run did not open');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await connection.close();
  }
}

async function partitionsOf(tenant: string): Promise<string[]> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  const { rows } = await db
    .query(`SELECT relname FROM pg_class WHERE relname LIKE $1 ORDER BY relname`, [`%_t_${tenant.replace(/-/g, '_')}`])
    .finally(() => db.end());
  return rows.map((row) => row.relname);
}

/** Every table that holds tenant data, each partitioned per tenant (sorted as pg_class lists them). */
const TENANT_SCOPED_TABLES = ['approval_token_uses', 'approvals', 'audit_chain_heads', 'audit_checkpoints', 'audit_events', 'audit_purge_markers', 'codec_keys', 'definitions', 'llm_ledger', 'pii_subject_keys', 'pii_vault', 'runs', 'user_tokens'];

test('tenant create is idempotent and makes the namespace and one partition per tenant-scoped table', async () => {
  const id = uniqueTenant('lc-create');
  const first = await runCli(['tenant', 'create', id, '--name', 'Lifecycle Co', '--json']);
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual({ id, namespace: id, status: 'active', local_stack_seeded: true });
  expect((await runCli(['tenant', 'create', id])).stdout).toContain(`tenant ${id}: active, namespace ${id} (exists)`);
  const suffix = id.replace(/-/g, '_');
  expect(await partitionsOf(id)).toEqual(TENANT_SCOPED_TABLES.map((table) => `${table}_t_${suffix}`));
  const listed = JSON.parse((await runCli(['tenant', 'list', '--json'])).stdout);
  expect(listed).toContainEqual({ id, name: 'Lifecycle Co', status: 'active', namespace: id });
});

test('tenants created at the same moment each get their partitions: the DDL queues, it never deadlocks', async () => {
  const ids = Array.from({ length: 6 }, (_, i) => uniqueTenant(`lc-burst-${i}`));
  const created = await Promise.all(ids.map((id) => runCli(['tenant', 'create', id, '--json'])));
  expect(created.map((cli) => [cli.code, cli.stderr])).toEqual(ids.map(() => [0, '']));
  for (const id of ids) expect(await partitionsOf(id)).toHaveLength(TENANT_SCOPED_TABLES.length);
  const deleted = await Promise.all(ids.map((id) => runCli(['tenant', 'delete', id, '--force'])));
  expect(deleted.map((cli) => cli.code)).toEqual(ids.map(() => 0));
});

test.each([["acme'; drop table x; --"], ['../acme'], ['ACME'], [''], ['a'.repeat(300)]])('tenant create %j exits 2 with the reason', async (id) => {
  const cli = await runCli(['tenant', 'create', id]);
  expect(cli.code).toBe(2);
  expect(cli.stderr).toMatch(/invalid tenant id/);
});

test('a run for an unknown tenant is refused with a hint; a suspended tenant cannot start runs but its open runs continue', async () => {
  await expect(StewardClient.connect({ tenant: uniqueTenant('never-made') })).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });

  const id = uniqueTenant('lc-suspend');
  await runCli(['tenant', 'create', id]);
  const worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', id], { stdio: 'ignore' });
  const client = await StewardClient.connect({ tenant: id });
  try {
    await client.register(readFileSync('test/fixtures/pausing-hello.yaml', 'utf8'));
    await client.register(HELLO);
    const running = await client.start<string>({ workflow: 'pausing-hello', input: {} });
    await waitForHistoryEvent(running, (event) => Boolean(event.timerStartedEventAttributes));
    expect((await runCli(['tenant', 'suspend', id])).stdout).toBe(`tenant ${id}: suspended\n`);
    await expect(client.start({ workflow: 'hello', input: { name: 'x' } })).rejects.toMatchObject({ code: 'TENANT_SUSPENDED' });
    expect(await running.result()).toBe('set before the crash, finished after it');
    await runCli(['tenant', 'resume', id]);
    expect(await (await client.start({ workflow: 'hello', input: { name: 'Ada' } })).result()).toMatchObject({ greeting: 'Hello, Ada!' });
  } finally {
    worker.kill('SIGTERM');
    await processExit(worker);
    await client.close();
  }
});

test('delete refuses while runs are open, and with --force drops partitions and namespace and reports them', async () => {
  const id = uniqueTenant('lc-delete');
  await runCli(['tenant', 'create', id]);
  const client = await StewardClient.connect({ tenant: id });
  await client.register(PAUSING);
  await client.start({ workflow: 'pausing-hello', input: {} });
  await client.close();
  // The retention schedule's housekeeping run is open too (no worker serves this tenant): it is not the tenant's run.
  await openRetentionRun(id);

  const refused = await runCli(['tenant', 'delete', id]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`tenant ${id} has 1 open run(s)`);

  const deleted = await runCli(['tenant', 'delete', id, '--force', '--json']);
  expect(deleted.code).toBe(0);
  const report = JSON.parse(deleted.stdout);
  expect(report).toMatchObject({ tenant: id, namespace: id, namespaceDeleted: true, openRunsEnded: 1 });
  expect(report.partitions).toHaveLength(TENANT_SCOPED_TABLES.length);
  expect(await partitionsOf(id)).toEqual([]);
  await expect(StewardClient.connect({ tenant: id })).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
});

test('a worker serving every tenant picks up a tenant created while it runs, and drains a deleted one', async () => {
  // A registry of its own, so the worker serves what this test lists, not every tenant the other suites made: one
  // tenant at start, and one whose namespace is missing (it is retried on every refresh and must hold nothing up).
  const registry = await createScratchDatabase('every_tenant');
  const env = { ...process.env, DATABASE_URL: registry.url, STEWARD_TENANT_REFRESH_MS: '300' };
  const registryConfig = loadRuntimeConfig(env);
  expect((await runCli(['tenant', 'create', uniqueTenant('lc-early')], { env })).code).toBe(0);
  await registerTenantWithoutNamespace(registry.url, uniqueTenant('lc-ghost'));
  const logs: string[] = [];
  let partial = '';
  const worker = spawn(process.execPath, [STEWARD_BIN, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  worker.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines);
  });
  const parse = (line: string): Record<string, unknown> => {
    try {
      return JSON.parse(line);
    } catch {
      return {};
    }
  };
  const seen = (predicate: (entry: Record<string, unknown>) => boolean) => logs.some((line) => predicate(parse(line)));
  const waitFor = async (what: string, predicate: (entry: Record<string, unknown>) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!seen(predicate)) {
      if (Date.now() > deadline) throw new Error(`worker never logged ${what}:\n${logs.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  try {
    await waitFor('start', (e) => e.msg === 'worker started', 120_000);
    const id = uniqueTenant('lc-late');
    expect((await runCli(['tenant', 'create', id], { env })).code).toBe(0);
    // Its Worker starts once the worker knows the tenant and sees the run waiting in its namespace.
    const client = await StewardClient.connect({ tenant: id, config: registryConfig });
    await client.register(HELLO);
    const run = await client.start({ workflow: 'hello', input: { name: 'Late' } });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([run.result(), new Promise((resolve) => (timer = setTimeout(() => resolve('no result in 30 s'), 30_000)))]);
    clearTimeout(timer);
    if (outcome === 'no result in 30 s') throw new Error(`no result in 30 s; worker logs:\n${logs.join('\n')}`);
    expect(outcome).toMatchObject({ greeting: 'Hello, Late!' });
    expect(seen((e) => e.msg === 'serving tenant' && e.tenant === id)).toBe(true);
    await client.close();
    expect((await runCli(['tenant', 'delete', id], { env })).code).toBe(0);
    await waitFor('the tenant dropped', (e) => e.msg === 'tenant no longer served here' && e.tenant === id);
  } finally {
    // Exit codes on SIGTERM are the next test's subject; here the worker only has to go away.
    worker.kill('SIGTERM');
    const exited = await Promise.race([processExit(worker), new Promise((resolve) => setTimeout(() => resolve('slow'), 20_000).unref())]);
    if (exited === 'slow') worker.kill('SIGKILL');
    await registry.drop();
  }
}, 300_000);

/** A registry row and partitions with no namespace behind them, as a tenant whose namespace was removed by hand. */
async function registerTenantWithoutNamespace(databaseUrl: string, id: TenantId): Promise<void> {
  const admin = createPool(databaseUrl, { max: 1 });
  try {
    await upsertTenantWithPartitions(admin, id, id, `${id}-namespace-removed`);
  } finally {
    await admin.end();
  }
}

test('a worker told to stop while it is still starting exits cleanly', async () => {
  const worker = spawn(process.execPath, [STEWARD_BIN, 'worker'], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Stop it as soon as it says it is starting: before its workflow bundle is built and its Workers exist.
  await new Promise<void>((resolve) => worker.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('worker starting') && resolve()));
  worker.kill('SIGTERM');
  expect(await processExit(worker)).toBe(0);
});

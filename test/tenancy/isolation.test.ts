// Tenant isolation, from the attacker's side: tenant B holding tenant A's ids gets nothing, through any API,
// and the database refuses cross-tenant access even to application code that tries.
import { readFileSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { StewardClient } from '../../src/client';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, temporalCli, testConfig, type RunningWorker } from '../support/stack';

const HELLO = readFileSync('examples/hello.yaml', 'utf8');
const PAUSING = readFileSync('test/fixtures/pausing-hello.yaml', 'utf8').replace('duration: 3s', 'duration: 10m');
const config = testConfig();

let acme: TenantId;
let globex: TenantId;
let acmeWorker: RunningWorker;
let a: StewardClient;
let b: StewardClient;
let openRun: { workflowId: string; runId: string };
let closedRun: { workflowId: string; runId: string };

beforeAll(async () => {
  [acme, globex] = await Promise.all([createTestTenant('acme'), createTestTenant('globex')]);
  acmeWorker = await startTenantWorker(acme);
  [a, b] = await Promise.all([StewardClient.connect({ tenant: acme }), StewardClient.connect({ tenant: globex })]);
  await a.register(HELLO);
  await a.register(PAUSING);
  const closed = await a.start({ workflow: 'hello', input: { name: 'Ada' } });
  await closed.result();
  closedRun = { workflowId: closed.workflowId, runId: closed.runId };
  const open = await a.start({ workflow: 'pausing-hello', input: {} });
  openRun = { workflowId: open.workflowId, runId: open.runId };
  const pool = createPool(config.appDatabaseUrl, { max: 1 });
  await recordAuditEvent(pool, acme, { type: 'test.secret_event', workflowId: closed.workflowId }).finally(() => pool.end());
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await acmeWorker?.stop();
});

describe("tenant B presenting tenant A's ids", () => {
  test.each([
    ['show (describe)', (id: string) => b.getRun(id)],
    ['query', async (id: string) => (await bHandle(id)).query('__stack_trace')],
    ['signal', async (id: string) => (await bHandle(id)).signal('approval', { decision: 'approve' })],
    ['cancel', async (id: string) => (await bHandle(id)).cancel()],
    ['result', async (id: string) => (await bHandle(id)).result()],
  ])('%s of an open run is "not found"', async (_api, attack) => {
    await expect(attack(openRun.workflowId)).rejects.toThrow(/not found/i);
  });

  test('show of a closed run is "not found"', async () => {
    await expect(b.getRun(closedRun.workflowId, closedRun.runId)).rejects.toThrow(/not found/i);
  });

  test("list never includes A's runs", async () => {
    const ids = (await b.listRuns()).map((run) => run.workflowId);
    expect(ids).not.toContain(openRun.workflowId);
    expect(ids).not.toContain(closedRun.workflowId);
    expect((await a.listRuns()).map((run) => run.workflowId)).toEqual(expect.arrayContaining([openRun.workflowId, closedRun.workflowId]));
  });

  test("reading A's definition is not found; writing the same id creates B's own, leaving A's untouched", async () => {
    await expect(b.getDefinition('hello')).rejects.toMatchObject({ code: 'DEFINITION_NOT_FOUND' });
    const changed = HELLO.replace("'Hello, '", "'Pwned, '");
    expect((await b.register(changed)).status).toBe('registered');
    expect((await a.getDefinition('hello', 1)).definition.nodes.greet).toMatchObject({ values: { greeting: "'Hello, ' + input.name + '!'" } });
  });

  test("starting A's workflow by name in B runs nothing of A's", async () => {
    const run = await b.start({ workflow: 'pausing-hello', workflowId: openRun.workflowId, input: {} });
    expect(run.namespace).toBe(globex);
    // B has no worker here: the run just waits in B's own namespace, and A's run is untouched.
    expect(await (await a.getRun(openRun.workflowId)).status()).toBe('RUNNING');
    await run.cancel();
  });

  test("A's audit events are invisible to B", async () => {
    expect((await a.listAuditEvents()).map((e) => e.type)).toContain('test.secret_event');
    expect(await b.listAuditEvents()).toEqual([]);
    expect(await b.listAuditEvents({ workflowId: closedRun.workflowId })).toEqual([]);
  });
});

describe('the database as the second wall (raw SQL as the application role)', () => {
  let db: PgClient;
  beforeEach(async () => {
    db = new PgClient({ connectionString: config.appDatabaseUrl });
    await db.connect();
  });
  afterEach(() => db.end());

  test('connects as a role that owns nothing and cannot bypass row-level security', async () => {
    const { rows } = await db.query(`SELECT current_user AS role, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user`);
    expect(rows[0]).toEqual({ role: 'steward_app', rolbypassrls: false, rolsuper: false });
  });

  test('without app.tenant_id it reads zero rows and cannot insert', async () => {
    const owner = new PgClient({ connectionString: config.databaseUrl });
    await owner.connect();
    const present = await owner.query(`SELECT count(*)::int AS n FROM definitions WHERE tenant_id = $1`, [acme]).finally(() => owner.end());
    expect(present.rows[0].n).toBeGreaterThan(0);
    for (const table of await tenantScopedTables()) {
      expect({ table, rows: (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n }).toEqual({ table, rows: 0 });
    }
    await expect(
      db.query(`INSERT INTO definitions (tenant_id, workflow_id, version, content_hash, definition, source) VALUES ($1, 'x', 1, 'h', '{}', '')`, [acme]),
    ).rejects.toThrow(/row-level security/);
  });

  test("with A's id set it cannot read, change, delete or insert B's rows", async () => {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [acme]);
    expect((await db.query(`SELECT count(*)::int AS n FROM definitions WHERE tenant_id = $1`, [globex])).rows[0].n).toBe(0);
    expect((await db.query(`SELECT count(*)::int AS n FROM definitions`)).rows[0].n).toBeGreaterThan(0);
    expect((await db.query(`UPDATE definitions SET source = 'x' WHERE tenant_id = $1`, [globex])).rowCount).toBe(0);
    expect((await db.query(`DELETE FROM definitions WHERE tenant_id = $1`, [globex])).rowCount).toBe(0);
    await expect(
      db.query(`INSERT INTO audit_events (tenant_id, event_type) VALUES ($1, 'forged')`, [globex]),
    ).rejects.toThrow(/row-level security/);
    await db.query('ROLLBACK');
    // B's definition is still there, seen from B.
    expect((await b.getDefinition('hello')).workflowId).toBe('hello');
  });

  test('every tenant-scoped table (user tokens, codec keys, PII vault and ledger included) has RLS enabled and forced', async () => {
    const tables = await tenantScopedTables();
    expect(tables).toEqual(expect.arrayContaining(['definitions', 'runs', 'audit_events', 'approvals', 'user_tokens', 'codec_keys', 'llm_ledger', 'pii_vault']));
    const { rows } = await db.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1) ORDER BY relname`,
      [tables],
    );
    expect(rows).toEqual([...tables].sort().map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: true })));
  });

  test("a tenant's partition cannot be addressed directly, RLS cannot be switched off, and tables cannot be dropped", async () => {
    await expect(db.query(`SELECT * FROM definitions_t_${acme.replace(/-/g, '_')}`)).rejects.toThrow(/permission denied/);
    await db.query('SET row_security = off');
    await expect(db.query('SELECT * FROM definitions')).rejects.toThrow(/row-level security/);
    await expect(db.query('DROP TABLE definitions')).rejects.toThrow(/must be owner/);
  });
});

/** The registry of tenant-scoped tables (the operator's connection: the application role cannot read it). */
async function tenantScopedTables(): Promise<string[]> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    return (await db.query<{ name: string }>('SELECT name FROM tenant_scoped_tables ORDER BY name')).rows.map((row) => row.name);
  } finally {
    await db.end();
  }
}

async function bHandle(workflowId: string) {
  // The handle is built without describing first, so each API call itself is what reaches the server.
  return (b as unknown as { temporal: import('@temporalio/client').Client }).temporal.workflow.getHandle(workflowId);
}

test('the same workflow run for acme and globex side by side: each is listed only in its own namespace', async () => {
  const globexWorker = await startTenantWorker(globex);
  try {
    const [runA, runB] = await Promise.all([
      a.start({ workflow: 'hello', version: 1, input: { name: 'Acme' } }),
      b.start({ workflow: 'hello', version: 1, input: { name: 'Globex' } }),
    ]);
    expect(await runA.result()).toMatchObject({ greeting: 'Hello, Acme!' });
    expect(await runB.result()).toMatchObject({ greeting: 'Pwned, Globex!' });
    const listed = async (namespace: string) =>
      JSON.parse((await temporalCli(['workflow', 'list', '--namespace', namespace, '--output', 'json'])).stdout).map(
        (run: { execution: { workflowId: string } }) => run.execution.workflowId,
      );
    const [inAcme, inGlobex] = await Promise.all([listed(acme), listed(globex)]);
    expect(inAcme).toContain(runA.workflowId);
    expect(inAcme).not.toContain(runB.workflowId);
    expect(inGlobex).toContain(runB.workflowId);
    expect(inGlobex).not.toContain(runA.workflowId);
  } finally {
    await globexWorker.stop();
  }
});

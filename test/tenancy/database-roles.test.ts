// The database roles from the attacker's side: a process refuses to serve tenants through a role that could step
// over row-level security, a session bound to one tenant cannot read another tenant's registry row (prices, budget,
// settings), and the application role cannot change or remove what the audit trail holds.
import { Client as PgClient, type Pool } from 'pg';
import { listAuditEvents, recordAuditEvent } from '../../src/audit/audit-log';
import { StewardClient } from '../../src/client';
import { assertAppRoleCannotBypassRls, openAppPool } from '../../src/db/app-role';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import { readTenantDailyBudget, setTenantDailyBudget } from '../../src/llm/ledger';
import { createCodecServer } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { findTenant, listTenants } from '../../src/tenancy/tenant-registry';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const RUN = (process.env.STEWARD_TEST_RUN_ID ?? Date.now().toString(36)).replace(/[^a-z0-9]/g, '');
const SUPERUSER_ROLE = `steward_test_super_${RUN}`;
const BYPASS_ROLE = `steward_test_bypass_${RUN}`;

let acme: TenantId;
let globex: TenantId;
let admin: Pool;
let app: Pool;

/** The database URL with another role in it (the dev cluster trusts loopback connections). */
function urlAs(role: string): string {
  const url = new URL(config.databaseUrl);
  url.username = role;
  url.password = '';
  return url.toString();
}

beforeAll(async () => {
  [acme, globex] = await Promise.all([createTestTenant('rolesacme'), createTestTenant('rolesglobex')]);
  admin = createPool(config.databaseUrl, { max: 2 });
  app = createPool(config.appDatabaseUrl, { max: 4 });
  await admin.query(`CREATE ROLE ${SUPERUSER_ROLE} LOGIN SUPERUSER`);
  await admin.query(`CREATE ROLE ${BYPASS_ROLE} LOGIN NOSUPERUSER BYPASSRLS`);
  await setTenantDailyBudget(admin, acme, 12_000_000);
  await setTenantDailyBudget(admin, globex, 34_000_000);
});

afterAll(async () => {
  await admin?.query(`DROP ROLE IF EXISTS ${SUPERUSER_ROLE}`);
  await admin?.query(`DROP ROLE IF EXISTS ${BYPASS_ROLE}`);
  await admin?.end();
  await app?.end();
});

describe('a role that bypasses row-level security is refused at start-up', () => {
  test('the check names the role and the attribute; steward_app passes it', async () => {
    await expect(openAppPool(urlAs(SUPERUSER_ROLE), { max: 1 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`role ${SUPERUSER_ROLE} has SUPERUSER`),
    });
    await expect(openAppPool(urlAs(BYPASS_ROLE), { max: 1 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`role ${BYPASS_ROLE} has BYPASSRLS`),
    });
    await expect(assertAppRoleCannotBypassRls(app)).resolves.toBeUndefined();
  });

  test('a worker configured with a superuser role exits before serving, saying why', async () => {
    const result = await runCli(['worker'], { env: { ...process.env, STEWARD_APP_DATABASE_URL: urlAs(SUPERUSER_ROLE) }, timeoutMs: 60_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`the application database role ${SUPERUSER_ROLE} has SUPERUSER`);
  });

  test('the codec server does not listen, and a client does not connect, through a BYPASSRLS role', async () => {
    const bypassing = { ...config, appDatabaseUrl: urlAs(BYPASS_ROLE) };
    const server = createCodecServer({ config: bypassing, corsOrigins: [] });
    try {
      await expect(server.listen({ port: 0, host: '127.0.0.1' })).rejects.toThrow(`role ${BYPASS_ROLE} has BYPASSRLS`);
    } finally {
      await server.close();
    }
    await expect(StewardClient.connect({ tenant: acme, config: bypassing })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  test('the approvals gateway does not listen through a superuser role', async () => {
    const result = await runCli(['approvals-gateway', '--port', '0'], {
      env: { ...process.env, STEWARD_APP_DATABASE_URL: urlAs(SUPERUSER_ROLE) },
      timeoutMs: 60_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`role ${SUPERUSER_ROLE} has SUPERUSER`);
  });
});

describe("the tenant registry: a session bound to one tenant sees that tenant's row only", () => {
  test("bound to globex, raw SQL reads no row, price or budget of acme's", async () => {
    const seen = await withTenant(app, globex, async (db) => ({
      all: (await db.query<{ id: string }>('SELECT id FROM tenants ORDER BY id')).rows.map((row) => row.id),
      acme: (await db.query('SELECT llm_prices, llm_daily_budget_micro_usd, settings FROM tenants WHERE id = $1', [acme])).rowCount,
    }));
    expect(seen).toEqual({ all: [globex], acme: 0 });
  });

  test('unbound, the application role reads no registry row at all', async () => {
    expect((await app.query('SELECT count(*)::int AS n FROM tenants')).rows[0].n).toBe(0);
  });

  test('the cross-tenant path lists and finds tenants with their registry columns only', async () => {
    const listed = await listTenants(app);
    expect(listed.map((tenant) => tenant.id)).toEqual(expect.arrayContaining([acme, globex]));
    expect(await findTenant(app, acme)).toMatchObject({ id: acme, namespace: acme, status: 'active' });
    const { fields } = await app.query('SELECT * FROM steward_tenant_registry() LIMIT 1');
    expect(fields.map((field) => field.name).sort()).toEqual(['created_at', 'display_name', 'id', 'namespace', 'status']);
  });

  test("each tenant's own budget still reads through the application role", async () => {
    expect(await readTenantDailyBudget(app, acme)).toBe(12_000_000);
    expect(await readTenantDailyBudget(app, globex)).toBe(34_000_000);
  });
});

describe('the audit trail is append-only for the application role', () => {
  let db: PgClient;
  beforeEach(async () => {
    db = new PgClient({ connectionString: config.appDatabaseUrl });
    await db.connect();
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [acme]);
  });
  afterEach(async () => {
    await db.query('ROLLBACK').catch(() => undefined);
    await db.end();
  });

  test('bound to its own tenant, steward_app can neither UPDATE, DELETE nor TRUNCATE its audit events', async () => {
    await recordAuditEvent(app, acme, { type: 'test.evidence' });
    await expect(db.query(`UPDATE audit_events SET event_type = 'test.rewritten' WHERE event_type = 'test.evidence'`)).rejects.toThrow(
      /permission denied for table audit_events/,
    );
    await db.query('ROLLBACK');
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [acme]);
    await expect(db.query(`DELETE FROM audit_events WHERE event_type = 'test.evidence'`)).rejects.toThrow(/permission denied for table audit_events/);
    await db.query('ROLLBACK');
    await db.query('BEGIN');
    await expect(db.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied for table audit_events/);
    expect((await listAuditEvents(app, acme)).map((event) => event.type)).toContain('test.evidence');
  });

  test('it still records and reads them', async () => {
    await db.query(`INSERT INTO audit_events (tenant_id, event_type) VALUES ($1, 'test.appended')`, [acme]);
    expect((await db.query(`SELECT count(*)::int AS n FROM audit_events WHERE event_type = 'test.appended'`)).rows[0].n).toBe(1);
  });
});

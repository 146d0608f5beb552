// Rows written before the chain existed, as migration 120 found them (no seq, no hashes): verify counts them as
// unchained and not verifiable, never crashes on them and never lets them hide tampering inside the chained part.
// The database is built fresh up to migration 101, given legacy rows, then migrated to the chain and beyond.
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { purgeAuditEntries } from '../../src/audit/audit-purge';
import { createCheckpointSigner, type CheckpointSigner } from '../../src/audit/checkpoint-signer';
import { verifyStoredTrail } from '../../src/audit/trail-verification';
import { loadCodecConfig } from '../../src/codec/config';
import { migrate, migrationsDir } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { testConfig, uniqueTenant } from '../support/stack';

const config = testConfig();
const DATABASE = `steward_legacy_${(process.env.STEWARD_TEST_RUN_ID ?? Date.now().toString(36)).replace(/[^a-z0-9]/g, '')}`;
const LAST_BEFORE_CHAIN = '101_audit_append_only.sql';

let cluster: Pool;
let owner: Pool;
let app: Pool;
let signer: CheckpointSigner;
let tenant: TenantId;
let appUrl: string;

function inDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${DATABASE}`;
  return parsed.toString();
}

/** The migrations up to (and including) `last`, as a directory of their own. */
function migrationsUpTo(last: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'steward-migrations-'));
  for (const name of readdirSync(migrationsDir()).filter((file) => file.endsWith('.sql') && file <= last)) symlinkSync(join(migrationsDir(), name), join(dir, name));
  return dir;
}

const seqOf = async (id: string) => (await owner.query('SELECT seq FROM audit_events WHERE id = $1', [id])).rows[0]?.seq;

beforeAll(async () => {
  cluster = createPool(config.databaseUrl, { max: 1 });
  await cluster.query(`CREATE DATABASE ${DATABASE}`);
  owner = createPool(inDatabase(config.databaseUrl), { max: 2 });
  appUrl = inDatabase(config.appDatabaseUrl);
  app = createPool(appUrl, { max: 4 });
  const codec = loadCodecConfig(config.secretsEnv);
  signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
  tenant = uniqueTenant('audit-legacy');

  await migrate(owner, migrationsUpTo(LAST_BEFORE_CHAIN));
  await owner.query(`INSERT INTO tenants (id, display_name, namespace) VALUES ($1, $1, $1)`, [tenant]);
  await owner.query('SELECT steward_create_tenant_partitions($1)', [tenant]);
  // What the application wrote before the chain: plain rows, no seq, no hashes.
  await withTenant(app, tenant, (db) =>
    db.query(`INSERT INTO audit_events (tenant_id, event_type, payload, created_at) SELECT $1, 'legacy.step', jsonb_build_object('i', i), now() - interval '1 hour' FROM generate_series(1, 3) i`, [tenant]),
  );
  await migrate(owner);
  for (let i = 1; i <= 5; i++) await recordAuditEvent(app, tenant, { type: 'test.step', step: `s${i}`, payload: { i } });
}, 120_000);

afterAll(async () => {
  signer?.close();
  await app?.end();
  await owner?.end();
  await cluster?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await cluster?.end();
});

test('verify passes the chained part, counts the three legacy rows as unchained and not verifiable, and says so', async () => {
  const { report } = await verifyStoredTrail(app, signer, tenant);
  expect(report).toMatchObject({ intact: true, entries: 5, legacyEntries: 3 });
  const human = await runCli(['audit', 'verify', '--tenant', tenant], { env: { ...process.env, STEWARD_APP_DATABASE_URL: appUrl, DATABASE_URL: inDatabase(config.databaseUrl) } });
  expect(human).toMatchObject({ code: 0, stdout: expect.stringContaining('3 unchained entries from before the chain began (not verifiable)') });
});

test('an edited legacy row cannot be detected (it was never hashed): the verdict is unchanged and still counts it as unchained', async () => {
  await owner.query(`UPDATE audit_events SET payload = '{"i": 999}' WHERE tenant_id = $1 AND event_type = 'legacy.step' AND payload->>'i' = '2'`, [tenant]);
  expect((await verifyStoredTrail(app, signer, tenant)).report).toMatchObject({ intact: true, legacyEntries: 3 });
});

test('a new unchained row written after the chain began is a forgery, not a legacy row', async () => {
  const { rows } = await owner.query(`INSERT INTO audit_events (tenant_id, event_type) VALUES ($1, 'forged') RETURNING id`, [tenant]);
  expect(await seqOf(rows[0].id)).toBeNull();
  const { report } = await verifyStoredTrail(app, signer, tenant);
  expect(report).toMatchObject({ intact: false, legacyEntries: 3, fault: { kind: 'inserted' } });
  expect(report.fault?.detail).toContain(`row id ${rows[0].id}`);
  await owner.query('DELETE FROM audit_events WHERE id = $1', [rows[0].id]);
});

test('tampering inside the chained part is caught as ever, legacy rows or not', async () => {
  await owner.query(`UPDATE audit_events SET payload = '{"i": 0}' WHERE tenant_id = $1 AND seq = 3`, [tenant]);
  expect((await verifyStoredTrail(app, signer, tenant)).report).toMatchObject({ intact: false, legacyEntries: 3, fault: { kind: 'modified', seq: 3 } });
  await owner.query(`UPDATE audit_events SET payload = '{"i": 3}' WHERE tenant_id = $1 AND seq = 3`, [tenant]);
  expect((await verifyStoredTrail(app, signer, tenant)).report.intact).toBe(true);
});

test('a retention purge takes the legacy rows past the bound with the chained entries it covers', async () => {
  const bound = (await owner.query('SELECT created_at FROM audit_events WHERE tenant_id = $1 AND seq = 3', [tenant])).rows[0].created_at;
  expect(await purgeAuditEntries(app, signer, tenant, bound, { agentId: 'tester' })).toEqual({ entries: 5, throughSeq: 2 });
  expect((await verifyStoredTrail(app, signer, tenant)).report).toMatchObject({ intact: true, legacyEntries: 0, purgedThrough: 2 });
});

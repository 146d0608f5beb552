// Purging the audit trail from the attacker's side: a purge under a signed marker keeps the chain verifiable, while
// a deletion without a marker, a marker without the tenant's signature (or with a checkpoint's), and a deletion past
// the marker are each caught. The application role cannot delete entries itself, and the purge function deletes
// nothing that no marker covers and nothing newer than its bound.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { purgeAuditEntries } from '../../src/audit/audit-purge';
import { createCheckpointSigner, type CheckpointSigner } from '../../src/audit/checkpoint-signer';
import { verifyStoredTrail } from '../../src/audit/trail-verification';
import { loadCodecConfig } from '../../src/codec/config';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const BY = { agentId: 'tester' };
let app: Pool;
let owner: Pool;
let signer: CheckpointSigner;

beforeAll(() => {
  app = createPool(config.appDatabaseUrl, { max: 4 });
  owner = createPool(config.databaseUrl, { max: 2 });
  const codec = loadCodecConfig(config.secretsEnv);
  signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
});

afterAll(async () => {
  signer?.close();
  await app?.end();
  await owner?.end();
});

/** A tenant with `count` entries, appended one after another so each has its own creation time. */
async function trailOf(name: string, count = 20): Promise<TenantId> {
  const tenant = await createTestTenant(name);
  for (let i = 1; i <= count; i++) await recordAuditEvent(app, tenant, { type: 'test.step', step: `s${i}`, agentId: 'tester', payload: { i } });
  return tenant;
}

/** The creation time of entry `seq`: a bound that purges exactly the entries before it. */
async function createdAt(tenant: TenantId, seq: number): Promise<Date> {
  return (await owner.query<{ created_at: Date }>('SELECT created_at FROM audit_events WHERE tenant_id = $1 AND seq = $2', [tenant, seq])).rows[0]!.created_at;
}

async function seqs(tenant: TenantId): Promise<number[]> {
  return (await owner.query<{ seq: string }>('SELECT seq FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenant])).rows.map((row) => Number(row.seq));
}

async function verifyJson(tenant: TenantId) {
  const result = await runCli(['audit', 'verify', '--tenant', tenant, '--json']);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) };
}

describe('a purge under a signed marker', () => {
  let tenant: TenantId;

  beforeAll(async () => {
    tenant = await trailOf('purge-ok');
    expect(await purgeAuditEntries(app, signer, tenant, await createdAt(tenant, 11), BY)).toEqual({ entries: 10, throughSeq: 10 });
  });

  test('deletes entries 1..10, records the marker at entry 10 and audits the purge with counts, never contents', async () => {
    expect(await seqs(tenant)).toEqual(Array.from({ length: 11 }, (_, i) => i + 11));
    const marker = (await owner.query('SELECT seq, signature FROM audit_purge_markers WHERE tenant_id = $1', [tenant])).rows;
    expect(marker).toEqual([{ seq: '10', signature: expect.stringMatching(/^vault:v1:/) }]);
    const purged = (await owner.query(`SELECT agent_id, payload FROM audit_events WHERE tenant_id = $1 AND event_type = 'audit.purged'`, [tenant])).rows;
    expect(purged).toEqual([{ agent_id: 'tester', payload: { entries: 10, through_seq: 10, older_than: expect.any(String) } }]);
  });

  test('the trail verifies, starting at the marker, and says so', async () => {
    expect(await verifyJson(tenant)).toMatchObject({ code: 0, report: { intact: true, entries: 11, purgedThrough: 10 } });
    const human = await runCli(['audit', 'verify', '--tenant', tenant]);
    expect(human.stdout).toContain('entries 1..10 purged by retention under a signed marker');
  });

  test('a second purge finds nothing older than the bound and leaves the trail as it was', async () => {
    expect(await purgeAuditEntries(app, signer, tenant, await createdAt(tenant, 11), BY)).toEqual({ entries: 0 });
    expect((await seqs(tenant))[0]).toBe(11);
  });

  test('its export carries the marker and verifies offline', async () => {
    const exported = await runCli(['audit', 'export', '--tenant', tenant]);
    expect(exported.stdout).toContain('"kind":"purge_marker","seq":10');
    const key = await runCli(['audit', 'public-key', '--tenant', tenant]);
    const dir = mkdtempSync(join(tmpdir(), 'steward-purge-'));
    writeFileSync(join(dir, 'trail.jsonl'), exported.stdout);
    writeFileSync(join(dir, 'key.pem'), key.stdout);
    const offline = await runCli(['audit', 'verify', '--file', join(dir, 'trail.jsonl'), '--public-key', join(dir, 'key.pem'), '--json']);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ intact: true, purgedThrough: 10 });
    const unmarked = exported.stdout.split('\n').filter((line) => !line.includes('"purge_marker"')).join('\n');
    writeFileSync(join(dir, 'unmarked.jsonl'), unmarked);
    const caught = await runCli(['audit', 'verify', '--file', join(dir, 'unmarked.jsonl'), '--public-key', join(dir, 'key.pem'), '--json']);
    expect(caught.code).toBe(1);
    expect(JSON.parse(caught.stdout).fault).toMatchObject({ kind: 'deleted', seq: 1 });
    // A marker whose signature was made up, or moved to another entry, is caught offline too.
    const markerLine = exported.stdout.split('\n').find((line) => line.includes('"purge_marker"'))!;
    const marker = JSON.parse(markerLine);
    for (const [name, forged] of [
      ['forged', { ...marker, signature: 'vault:v1:AAAA' }],
      ['moved', { ...marker, seq: 11, hash: JSON.parse(exported.stdout.split('\n').find((line) => line.includes('"kind":"entry","seq":11,'))!).hash }],
    ] as const) {
      writeFileSync(join(dir, `${name}.jsonl`), exported.stdout.replace(markerLine, JSON.stringify(forged)));
      const refused = await runCli(['audit', 'verify', '--file', join(dir, `${name}.jsonl`), '--public-key', join(dir, 'key.pem'), '--json']);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout).fault).toMatchObject({ kind: 'signature', seq: forged.seq });
    }
  });
});

describe('deletions that no signed marker covers', () => {
  test('the owner deleting the oldest five entries, with no marker at all: entry 1 "deleted"', async () => {
    const tenant = await trailOf('purge-nomarker', 10);
    await owner.query('DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= 5', [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { intact: false, fault: { kind: 'deleted', seq: 1 } } });
  });

  test('the owner deleting entries past a real marker: the first entry after it "deleted"', async () => {
    const tenant = await trailOf('purge-past', 15);
    await purgeAuditEntries(app, signer, tenant, await createdAt(tenant, 6), BY);
    await owner.query('DELETE FROM audit_events WHERE tenant_id = $1 AND seq BETWEEN 6 AND 8', [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'deleted', seq: 6 } } });
  });

  test('a forged marker with a made-up signature, entries deleted under it: marker 5 "signature"', async () => {
    const tenant = await trailOf('purge-forged', 10);
    const hash = (await owner.query('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 5', [tenant])).rows[0].hash;
    await owner.query(`INSERT INTO audit_purge_markers (tenant_id, seq, hash, key_version, signature) VALUES ($1, 5, $2, 1, 'vault:v1:AAAA')`, [tenant, hash]);
    await owner.query('DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= 5', [tenant]);
    const { code, report } = await verifyJson(tenant);
    expect(code).toBe(1);
    expect(report.fault).toMatchObject({ kind: 'signature', seq: 5 });
    expect(report.fault.detail).toContain('purge marker');
  });

  test("a marker carrying the tenant's real signature of a checkpoint at the same entry: still \"signature\"", async () => {
    const tenant = await trailOf('purge-replayed', 5);
    expect((await verifyStoredTrail(app, signer, tenant)).report.checkpointedAt).toBe(5);
    await recordAuditEvent(app, tenant, { type: 'test.step', payload: { i: 6 } });
    await owner.query(
      `INSERT INTO audit_purge_markers (tenant_id, seq, hash, key_version, signature)
       SELECT tenant_id, seq, hash, key_version, signature FROM audit_checkpoints WHERE tenant_id = $1 AND seq = 5`,
      [tenant],
    );
    await owner.query('DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= 5', [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'signature', seq: 5 } } });
  });
});

describe('the application role', () => {
  test('cannot DELETE audit entries itself', async () => {
    const tenant = await trailOf('purge-role', 3);
    await expect(withTenant(app, tenant, (db) => db.query('DELETE FROM audit_events WHERE seq = 1'))).rejects.toThrow(/permission denied/);
    await expect(withTenant(app, tenant, (db) => db.query('DELETE FROM audit_purge_markers'))).rejects.toThrow(/permission denied/);
  });

  test('cannot make the purge function delete entries no marker covers, or entries newer than the bound', async () => {
    const tenant = await trailOf('purge-bounds', 6);
    const purge = (seq: number, olderThan: Date) => withTenant(app, tenant, (db) => db.query('SELECT steward_purge_audit_events($1, $2)', [seq, olderThan]));
    await expect(purge(3, await createdAt(tenant, 4))).rejects.toThrow(/no purge marker at entry 3/);
    const hash = (await owner.query('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 3', [tenant])).rows[0].hash;
    await owner.query(`INSERT INTO audit_purge_markers (tenant_id, seq, hash, key_version, signature) VALUES ($1, 3, $2, 1, 'vault:v1:AAAA')`, [tenant, hash]);
    await expect(purge(3, await createdAt(tenant, 2))).rejects.toThrow(/newer than/);
    await expect(purge(3, new Date(Date.now() + 3_600_000))).rejects.toThrow(/in the future/);
    expect(await seqs(tenant)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('can record a marker of its own and purge under it, but verify then names the unsigned marker', async () => {
    const tenant = await trailOf('purge-appforged', 6);
    const hash = (await owner.query('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 3', [tenant])).rows[0].hash;
    await withTenant(app, tenant, async (db) => {
      await db.query(`INSERT INTO audit_purge_markers (tenant_id, seq, hash, key_version, signature) VALUES ($1, 3, $2, 1, 'vault:v1:AAAA')`, [tenant, hash]);
      await db.query('SELECT steward_purge_audit_events(3, $1)', [await createdAt(tenant, 4)]);
    });
    expect(await seqs(tenant)).toEqual([4, 5, 6]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'signature', seq: 3 } } });
  });
});

// The audit trail from the attacker's side: the database owner (who bypasses row-level security) changes, deletes,
// forges, reorders and truncates entries and swaps a checkpoint signature; `steward audit verify` catches each and
// names the entry. Concurrent appends never fork the chain.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { chainedContent, recordAuditEvent } from '../../src/audit/audit-log';
import { entryHash } from '../../src/audit/chain-hash';
import { createCheckpointSigner } from '../../src/audit/checkpoint-signer';
import { verifyStoredTrail } from '../../src/audit/trail-verification';
import { loadCodecConfig } from '../../src/codec/config';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const WRITERS = 16;
let app: Pool;
let owner: Pool;
const scratch = mkdtempSync(join(tmpdir(), 'steward-audit-'));

beforeAll(() => {
  app = createPool(config.appDatabaseUrl, { max: WRITERS });
  owner = createPool(config.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await app?.end();
  await owner?.end();
});

/** `count` entries appended by 16 concurrent writers, each with a payload that holds its writer and round. */
async function appendEntries(tenant: TenantId, count: number): Promise<void> {
  let next = 0;
  const writer = async (id: number) => {
    while (next < count) {
      const round = next++;
      await recordAuditEvent(app, tenant, { type: 'test.step', runId: `run-${round % 3}`, step: `s${round}`, agentId: 'tester', payload: { writer: id, round } });
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id)));
}

async function trailOf(name: string, count = 30): Promise<TenantId> {
  const tenant = await createTestTenant(name);
  await appendEntries(tenant, count);
  return tenant;
}

async function verifyJson(tenant: TenantId): Promise<{ code: number | null; report: { intact: boolean; entries: number; checkpoints: number; fault?: { kind: string; seq: number; detail: string } } }> {
  const result = await runCli(['audit', 'verify', '--tenant', tenant, '--json']);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) };
}

/** Runs SQL as the database owner, on the tenant's rows only. */
function asOwner(sql: string, params: unknown[]) {
  return owner.query(sql, params);
}

describe('an untouched trail', () => {
  test('16 concurrent writers append 200 entries without forking the chain: sequence numbers 1..200, each linked to the one before', async () => {
    const tenant = await trailOf('audit-fork', 200);
    const rows = (await asOwner('SELECT seq, prev_hash, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenant])).rows;
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    rows.slice(1).forEach((row, i) => expect(row.prev_hash).toBe(rows[i]?.hash));
    const { code, report } = await verifyJson(tenant);
    expect(code).toBe(0);
    expect(report).toMatchObject({ intact: true, entries: 200, checkpoints: 1 });
  });

  test('an entry Postgres refuses fails alone: the appends sharing its transaction are still written, in one chain', async () => {
    const tenant = await createTestTenant('audit-batch');
    const appends = Array.from({ length: 20 }, (_, i) =>
      recordAuditEvent(app, tenant, { type: 'test.step', step: `s${i}`, payload: i === 7 ? { text: 'nul \u0000 byte' } : { i } }),
    );
    const settled = await Promise.allSettled(appends);
    expect(settled.filter((outcome) => outcome.status === 'rejected')).toHaveLength(1);
    expect(settled[7]?.status).toBe('rejected');
    const { code, report } = await verifyJson(tenant);
    expect(code).toBe(0);
    expect(report).toMatchObject({ intact: true, entries: 19 });
  });

  test('verify prints a one-line verdict, signs a checkpoint only when the head moved, and exits 0', async () => {
    const tenant = await trailOf('audit-ok', 5);
    const first = await runCli(['audit', 'verify', '--tenant', tenant]);
    expect(first).toMatchObject({ code: 0, stdout: `audit trail of tenant ${tenant} intact: 5 entries, 1 signed checkpoints\n` });
    const again = await runCli(['audit', 'verify', '--tenant', tenant]);
    expect(again.stdout).toContain('5 entries, 1 signed checkpoints');
    const checkpoints = await asOwner('SELECT seq, signature FROM audit_checkpoints WHERE tenant_id = $1', [tenant]);
    expect(checkpoints.rows).toEqual([{ seq: '5', signature: expect.stringMatching(/^vault:v1:/) }]);
  });
});

describe('tampering by the database owner', () => {
  let tenants: Record<string, TenantId>;

  beforeAll(async () => {
    const names = ['update', 'delete', 'insert', 'stray', 'swap', 'truncate', 'signature', 'rehash'];
    // Every trail has a signed checkpoint at entry 20 and then 10 newer entries, the newest also checkpointed.
    const codec = loadCodecConfig(config.secretsEnv);
    const signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
    const prepare = async (name: string) => {
      const tenant = await trailOf(`audit-${name}`, 20);
      expect((await verifyStoredTrail(app, signer, tenant)).report.intact).toBe(true);
      await appendEntries(tenant, 10);
      expect((await verifyStoredTrail(app, signer, tenant)).report).toMatchObject({ intact: true, entries: 30, checkpoints: 2 });
      return tenant;
    };
    const made = await Promise.all(names.map(prepare)).finally(() => signer.close());
    tenants = Object.fromEntries(names.map((name, i) => [name, made[i] as TenantId]));
  }, 400_000);

  test('UPDATE of one payload: entry 12 "modified"', async () => {
    const tenant = tenants.update as TenantId;
    await asOwner(`UPDATE audit_events SET payload = '{"writer": 0, "round": 999}' WHERE tenant_id = $1 AND seq = 12`, [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { intact: false, fault: { kind: 'modified', seq: 12 } } });
  });

  test('UPDATE with a recomputed hash: the entry after it no longer links, entry 7 "modified"', async () => {
    const tenant = tenants.rehash as TenantId;
    const row = (await asOwner('SELECT * FROM audit_events WHERE tenant_id = $1 AND seq = 7', [tenant])).rows[0];
    const content = chainedContent({ type: row.event_type, runId: row.run_id, step: row.step, agentId: row.agent_id }, { forged: true }, row.created_at);
    await asOwner(`UPDATE audit_events SET payload = '{"forged": true}', hash = $2 WHERE tenant_id = $1 AND seq = 7`, [tenant, entryHash(tenant, row.prev_hash, content)]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'modified', seq: 7 } } });
  });

  test('DELETE of one entry: entry 15 "deleted"', async () => {
    const tenant = tenants.delete as TenantId;
    await asOwner('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 15', [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'deleted', seq: 15 } } });
  });

  test('INSERT of a forged entry, correctly hashed and linked after the newest: entry 31 "inserted"', async () => {
    const tenant = tenants.insert as TenantId;
    const head = (await asOwner('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 30', [tenant])).rows[0];
    const createdAt = new Date();
    const forged = chainedContent({ type: 'approval.granted', agentId: 'tester' }, {}, createdAt);
    await asOwner(
      `INSERT INTO audit_events (tenant_id, event_type, agent_id, payload, created_at, seq, prev_hash, hash) VALUES ($1, 'approval.granted', 'tester', '{}', $2, 31, $3, $4)`,
      [tenant, createdAt, head.hash, entryHash(tenant, head.hash, forged)],
    );
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'inserted', seq: 31 } } });
  });

  test('INSERT of an unchained row after the chain began: "inserted", named by its row id', async () => {
    const tenant = tenants.stray as TenantId;
    const { rows } = await asOwner(`INSERT INTO audit_events (tenant_id, event_type) VALUES ($1, 'forged') RETURNING id`, [tenant]);
    const { code, report } = await verifyJson(tenant);
    expect(code).toBe(1);
    expect(report.fault).toMatchObject({ kind: 'inserted' });
    expect(report.fault?.detail).toContain(`row id ${rows[0].id}`);
  });

  test('swap of entries 10 and 11: entry 10 "reordered"', async () => {
    const tenant = tenants.swap as TenantId;
    await asOwner('UPDATE audit_events SET seq = -1 WHERE tenant_id = $1 AND seq = 10', [tenant]);
    await asOwner('UPDATE audit_events SET seq = 10 WHERE tenant_id = $1 AND seq = 11', [tenant]);
    await asOwner('UPDATE audit_events SET seq = 11 WHERE tenant_id = $1 AND seq = -1', [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'reordered', seq: 10 } } });
  });

  test('dropping the newest ten and rewinding the chain head: the signed checkpoint at 30 names entry 21 "truncated"', async () => {
    const tenant = tenants.truncate as TenantId;
    await asOwner('DELETE FROM audit_events WHERE tenant_id = $1 AND seq > 20', [tenant]);
    await asOwner(`UPDATE audit_chain_heads SET seq = 20, hash = (SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 20) WHERE tenant_id = $1`, [tenant]);
    expect(await verifyJson(tenant)).toMatchObject({ code: 1, report: { fault: { kind: 'truncated', seq: 21 } } });
  });

  test("replacing a checkpoint's signature with another checkpoint's: checkpoint 30 \"signature\"", async () => {
    const tenant = tenants.signature as TenantId;
    await asOwner(`UPDATE audit_checkpoints SET signature = (SELECT signature FROM audit_checkpoints WHERE tenant_id = $1 AND seq = 20) WHERE tenant_id = $1 AND seq = 30`, [tenant]);
    const { code, report } = await verifyJson(tenant);
    expect(code).toBe(1);
    expect(report.fault).toMatchObject({ kind: 'signature', seq: 30 });
  });

  test('the human verdict names the entry and how, and exits 1', async () => {
    const result = await runCli(['audit', 'verify', '--tenant', tenants.delete as TenantId]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/TAMPERED: entry 15 deleted: entry 15 is missing before entry 16/);
  });
});

describe('export and offline verification', () => {
  let tenant: TenantId;
  let exported: string;
  let publicKey: string;

  beforeAll(async () => {
    tenant = await trailOf('audit-export', 25);
    const result = await runCli(['audit', 'export', '--tenant', tenant]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    exported = result.stdout;
    publicKey = join(scratch, 'audit.pem');
    const key = await runCli(['audit', 'public-key', '--tenant', tenant]);
    expect(key.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    writeFileSync(publicKey, key.stdout);
  });

  function exportFile(name: string, text: string): string {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  }

  test('an export is JSONL: a trail line, each entry with its hash and its predecessor\'s, and a checkpoint at the newest', () => {
    const lines = exported.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({ kind: 'trail', tenant, complete: true, filter: {} });
    expect(lines.filter((line) => line.kind === 'entry')).toHaveLength(25);
    expect(lines[1]).toMatchObject({ kind: 'entry', seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/), type: 'test.step' });
    expect(lines.at(-1)).toMatchObject({ kind: 'checkpoint', seq: 25 });
  });

  test('the untouched export verifies offline with the public key alone', async () => {
    const result = await runCli(['audit', 'verify', '--file', exportFile('ok.jsonl', exported), '--public-key', publicKey]);
    expect(result).toMatchObject({ code: 0, stdout: `exported audit trail of tenant ${tenant} intact: 25 entries, 1 signed checkpoints\n` });
  });

  test('an export edited after the fact fails offline and names the entry', async () => {
    const edited = exported.replace('"round":', '"round":1000+').replace(/"step":"s\d+"/, '"step":"edited"');
    const result = await runCli(['audit', 'verify', '--file', exportFile('edited.jsonl', edited), '--public-key', publicKey, '--json']);
    expect(result.code).toBe(2);
    const tampered = exported
      .split('\n')
      .map((line) => (line.includes('"seq":4,') ? line.replace('"agent_id":"tester"', '"agent_id":"mallory"') : line))
      .join('\n');
    const caught = await runCli(['audit', 'verify', '--file', exportFile('tampered.jsonl', tampered), '--public-key', publicKey, '--json']);
    expect(caught.code).toBe(1);
    expect(JSON.parse(caught.stdout).fault).toMatchObject({ kind: 'modified', seq: 4 });
  });

  test("another tenant's public key does not verify the export", async () => {
    const other = await trailOf('audit-other', 1);
    const key = await runCli(['audit', 'public-key', '--tenant', other]);
    const result = await runCli(['audit', 'verify', '--file', exportFile('ok2.jsonl', exported), '--public-key', exportFile('other.pem', key.stdout), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).fault).toMatchObject({ kind: 'signature', seq: 25 });
  });

  test('a filtered export (--type, --run) holds only matching entries, each still checked against its hash', async () => {
    const result = await runCli(['audit', 'export', '--tenant', tenant, '--run', 'run-1']);
    const entries = result.stdout.trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.kind === 'entry');
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((entry) => entry.run_id === 'run-1')).toBe(true);
    const verified = await runCli(['audit', 'verify', '--file', exportFile('run.jsonl', result.stdout), '--public-key', publicKey]);
    expect(verified.code).toBe(0);
  });

  test('bad input is refused with the flag and the reason', async () => {
    expect(await runCli(['audit', 'list', '--tenant', tenant, '--since', 'yesterday'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--since: "yesterday" is not a date') });
    expect(await runCli(['audit', 'verify', '--file', join(scratch, 'ok.jsonl')])).toMatchObject({ code: 2, stderr: expect.stringContaining('--public-key: required with --file') });
    expect(await runCli(['audit', 'verify'])).toMatchObject({ code: 2, stderr: expect.stringContaining('exactly one of --tenant') });
    const notJson = await runCli(['audit', 'verify', '--file', exportFile('bad.jsonl', '{"kind":"trail"}\n'), '--public-key', publicKey]);
    expect(notJson).toMatchObject({ code: 2, stderr: expect.stringContaining('line 1: tenant') });
    expect(readFileSync(publicKey, 'utf8')).not.toContain('PRIVATE');
  });
});

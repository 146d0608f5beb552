// Crypto-shredding, proved against a backup: a pg_dump taken before an erasure (or an expiry purge, also of one
// spelling of a subject that lives on) holds the sealed entry; afterwards no key that still exists (the tenant's
// keyring keys, its subject keys left in Vault, the database) opens it, and Vault lists the erased key under no
// tenant, while the subject's key opened it before.
// Also: a tenant's Vault identity cannot reach another tenant's subject keys, entries sealed before subject keys
// still restore, and a value tokenized while its subject is erased never leaves an entry that no key opens.
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { findPostgresBinDir } from '../../dev-server/postgres';
import { seedVault } from '../../dev-server/vault';
import { loadCodecConfig } from '../../src/codec/config';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { loadTenantPiiHmacKey } from '../../src/codec/keys/pii-master-key';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPiiVault, purgeExpiredPii, type PiiVault } from '../../src/codec/pii-vault/pii-vault';
import { createSubjectKeyVaults, subjectKeyVaultsFor, type SubjectKeyVault } from '../../src/codec/pii-vault/subject-key-vault';
import { createTransitKeys } from '../../src/codec/keys/transit';
import { readStackFile } from '../../src/config/stack-file';
import { createPool } from '../../src/db/pool';
import { isStewardError } from '../../src/errors';
import { hashValue } from '../../src/pii/hash';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const codec = loadCodecConfig(config.secretsEnv);
const stack = readStackFile(config.env.STEWARD_STATE_DIR)!;
// The pg_dump of the PostgreSQL the stack runs on, whichever version the machine has.
const PG_DUMP = join(findPostgresBinDir(() => undefined), 'pg_dump');
let tenant: TenantId;
let other: TenantId;
let app: Pool;
let owner: Pool;
let keys: KeyringFactory;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('shred'), createTestTenant('shred-other')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  owner = createPool(config.databaseUrl, { max: 2 });
  keys = createKeyringFactory(config, app);
  // Keys that must survive the erasures below, so "no key that still exists" is tried against real ones: the
  // tenant's active codec key, and the subject key of a bystander.
  await keys.keyringFor(tenant).seal(new TextEncoder().encode('a payload'), 'steward/test/warm-up');
  await freshVault(tenant).tokenize('email', 'bystander@example.org');
});
afterAll(async () => {
  keys?.close();
  await app?.end();
  await owner?.end();
});

const subjectKeysOf = (forTenant: TenantId): SubjectKeyVault => subjectKeyVaultsFor(config).forTenant(forTenant);
const freshVault = (forTenant: TenantId): PiiVault => createTenantPiiVault(config, app, keys.keyringFor(forTenant), { cacheTtlMs: 0 });
const idOf = (token: string) => /tok_([^\]]+)/.exec(token)![1]!;

interface DumpedEntry {
  token: string;
  type: string;
  key_id: string;
  subject_key_id: string;
  sealed: Buffer;
}

/** pg_dump of the tenant's vault partitions and keys as the database owner, the way a nightly backup takes it. */
function dumpDatabase(forTenant: TenantId): string {
  const partition = (table: string) => `${table}_t_${forTenant.replace(/-/g, '_')}`;
  const tables = ['pii_vault', 'pii_subject_keys', 'codec_keys'].flatMap((table) => ['--table', partition(table)]);
  return execFileSync(PG_DUMP, ['--data-only', ...tables, config.databaseUrl], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The dump's pii_vault row of a token, read back from its COPY block. */
function dumpedEntry(dump: string, forTenant: TenantId, token: string): DumpedEntry {
  const lines = dump.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`COPY public.pii_vault_t_${forTenant.replace(/-/g, '_')} (`));
  const columns = /\(([^)]*)\)/.exec(lines[start]!)![1]!.split(', ');
  for (const line of lines.slice(start + 1)) {
    if (line === '\\.') break;
    const row = Object.fromEntries(line.split('\t').map((field, i) => [columns[i]!, field]));
    if (row.token !== idOf(token)) continue;
    return { token: row.token, type: row.type!, key_id: row.key_id!, subject_key_id: row.subject_key_id!, sealed: Buffer.from(row.sealed!.replace(/^\\\\x/, ''), 'hex') };
  }
  throw new Error(`the dump holds no entry for ${token}`);
}

/** AES-256-GCM with the AAD the vault binds an entry to under `keyId`; undefined when the bytes do not authenticate. */
function tryOpen(rawKey: Buffer, keyId: string, forTenant: TenantId, entry: DumpedEntry): string | undefined {
  const aad = `steward:${forTenant}:${keyId}:steward/pii-vault/${forTenant}/${entry.type}/${entry.token}`;
  const decipher = createDecipheriv('aes-256-gcm', rawKey, entry.sealed.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(entry.sealed.subarray(entry.sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(entry.sealed.subarray(12, entry.sealed.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Root's view of Vault, to enumerate every key that still exists there. */
async function vaultAsRoot(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.vault!.address}/v1/${path}`, { method, headers: { 'X-Vault-Token': stack.vault!.root_token } });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

const listed = (answer: { body: unknown }) => (answer.body as { data?: { keys?: string[] } } | undefined)?.data?.keys ?? [];

/** Every key of the tenant that exists after the fact: its keyring keys (unwrapped by Transit) and every subject key
 *  Vault still holds for it. */
async function everyExistingKey(): Promise<Array<{ keyId: string; raw: Buffer }>> {
  const transit = createTransitKeys({ vault: codec.vault, mount: codec.transitMount, keyPrefix: codec.transitKeyPrefix });
  try {
    const found: Array<{ keyId: string; raw: Buffer }> = [];
    const codecKeys = await owner.query<{ key_id: string; wrapped: string }>('SELECT key_id, wrapped FROM codec_keys WHERE tenant_id = $1', [tenant]);
    for (const row of codecKeys.rows) found.push({ keyId: row.key_id, raw: await transit.unwrapDataKey(tenant, row.wrapped) });
    for (const keyId of listed(await vaultAsRoot('LIST', `${codec.piiKeysMount}/metadata/tenants/${tenant}/subject-keys`))) {
      const read = await vaultAsRoot('GET', `${codec.piiKeysMount}/data/tenants/${tenant}/subject-keys/${keyId}`);
      found.push({ keyId, raw: Buffer.from((read.body as { data: { data: { key: string } } }).data.data.key, 'base64') });
    }
    return found;
  } finally {
    transit.close();
  }
}

/** Whether Vault still lists a key id under any tenant at all. */
async function listedAnywhere(keyId: string): Promise<boolean> {
  for (const folder of listed(await vaultAsRoot('LIST', `${codec.piiKeysMount}/metadata/tenants`))) {
    if (listed(await vaultAsRoot('LIST', `${codec.piiKeysMount}/metadata/tenants/${folder}subject-keys`)).includes(keyId)) return true;
  }
  return false;
}

/** Whether any existing key opens the dumped entry, under its own id or under the entry's. */
async function anyExistingKeyOpens(entry: DumpedEntry): Promise<boolean> {
  const existing = await everyExistingKey();
  expect(existing.length).toBeGreaterThanOrEqual(2);
  return existing.some(({ keyId, raw }) => [keyId, entry.key_id].some((asId) => tryOpen(raw, asId, tenant, entry) !== undefined));
}

async function assertShredded(entry: DumpedEntry, value: string, keyBefore: Buffer): Promise<void> {
  expect(await subjectKeysOf(tenant).read(entry.subject_key_id)).toBeUndefined();
  // KV v2 keeps versions: none is left, not even the first.
  expect((await vaultAsRoot('GET', `${codec.piiKeysMount}/data/tenants/${tenant}/subject-keys/${entry.subject_key_id}?version=1`)).status).toBe(404);
  expect(await listedAnywhere(entry.subject_key_id)).toBe(false);
  expect(await anyExistingKeyOpens(entry)).toBe(false);
  // The key the dump needed, which only Vault held, is what opened it.
  expect(tryOpen(keyBefore, entry.subject_key_id, tenant, entry)).toBe(value);
}

test('after an erasure, no key that still exists opens the entry a pg_dump taken before it holds', async () => {
  const value = 'shred.me@example.org';
  const token = await freshVault(tenant).tokenize('email', value);
  const dump = dumpDatabase(tenant);
  const entry = dumpedEntry(dump, tenant, token);
  expect(entry.subject_key_id).toBe(entry.key_id);
  const keyBefore = (await subjectKeysOf(tenant).read(entry.subject_key_id))!;
  // Before the erasure the dump opens, with the subject key Vault holds; the dump itself holds no key.
  expect(tryOpen(keyBefore, entry.subject_key_id, tenant, entry)).toBe(value);
  expect(dump).not.toContain(keyBefore.toString('hex'));
  expect(dump).not.toContain(keyBefore.toString('base64'));

  expect(await freshVault(tenant).erase(value)).toEqual({ count: 1, types: ['email'], keys: 1 });
  await assertShredded(entry, value, keyBefore);
  expect((await owner.query('SELECT 1 FROM pii_subject_keys WHERE tenant_id = $1 AND key_id = $2', [tenant, entry.subject_key_id])).rowCount).toBe(0);
});

test('after the expiry purge, the same holds for an entry whose subject has no live entry left', async () => {
  const value = '+1 415-555-0199';
  const token = await freshVault(tenant).tokenize('phone', value);
  const kept = await freshVault(tenant).tokenize('email', 'still.live@example.org');
  const entry = dumpedEntry(dumpDatabase(tenant), tenant, token);
  const keyBefore = (await subjectKeysOf(tenant).read(entry.subject_key_id))!;
  // The entry expires; its key is older than the purge's grace for keys that have sealed nothing yet.
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(token)]);
  await owner.query(`UPDATE pii_subject_keys SET created_at = now() - interval '2 minutes' WHERE tenant_id = $1`, [tenant]);

  expect(await purgeExpiredPii(app, subjectKeysOf(tenant))).toBe(1);
  await assertShredded(entry, value, keyBefore);
  // A subject with a live entry keeps its key.
  expect(await freshVault(tenant).detokenize(kept)).toBe('still.live@example.org');
});

test('after the expiry purge, an expired spelling whose subject lives on is shredded too: the live spelling moves to a new key', async () => {
  const [expiring, living] = ['Two.Spellings@example.org', 'two.spellings@example.org'];
  const expiringToken = await freshVault(tenant).tokenize('email', expiring);
  const livingToken = await freshVault(tenant).tokenize('email', living);
  const dump = dumpDatabase(tenant);
  const entry = dumpedEntry(dump, tenant, expiringToken);
  // One subject, one key: before the purge, the live spelling's key opens the expired one.
  expect(dumpedEntry(dump, tenant, livingToken).subject_key_id).toBe(entry.subject_key_id);
  const keyBefore = (await subjectKeysOf(tenant).read(entry.subject_key_id))!;
  // The key is fresh (made this minute): a retired key is destroyed at once, whatever its age.
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(expiringToken)]);

  expect(await purgeExpiredPii(app, subjectKeysOf(tenant))).toBe(1);
  await assertShredded(entry, expiring, keyBefore);
  const keyOf = async (token: string) =>
    (await owner.query('SELECT subject_key_id FROM pii_vault WHERE tenant_id = $1 AND token = $2', [tenant, idOf(token)])).rows[0]?.subject_key_id as string | undefined;
  const newKeyId = await keyOf(livingToken);
  expect(newKeyId).toEqual(expect.any(String));
  expect(newKeyId).not.toBe(entry.subject_key_id);
  // The live spelling keeps its token and restores; the subject's next spelling is sealed under its new key.
  expect(await freshVault(tenant).detokenize(livingToken)).toBe(living);
  expect(await keyOf(await freshVault(tenant).tokenize('email', 'TWO.SPELLINGS@example.org'))).toBe(newKeyId);
  // Erasing the subject still destroys the key it has now.
  expect(await freshVault(tenant).erase(living)).toMatchObject({ count: 2, keys: 1 });
  expect(await subjectKeysOf(tenant).read(newKeyId!)).toBeUndefined();
});

test("deleting a tenant destroys its subject keys in Vault, so a backup of its entries stays sealed", async () => {
  const leaving = await createTestTenant('shred-leaving');
  const token = await freshVault(leaving).tokenize('email', 'leaving@example.org');
  const entry = dumpedEntry(dumpDatabase(leaving), leaving, token);
  expect(await subjectKeysOf(leaving).read(entry.subject_key_id)).toBeDefined();

  const deleted = await runCli(['tenant', 'delete', leaving, '--force', '--json']);
  expect(deleted.code).toBe(0);
  expect(JSON.parse(deleted.stdout)).toMatchObject({ tenant: leaving, subjectKeysDestroyed: 1 });
  expect(await subjectKeysOf(leaving).read(entry.subject_key_id)).toBeUndefined();
  expect(await listedAnywhere(entry.subject_key_id)).toBe(false);
});

test("a tenant's Vault identity can make, read and destroy its own subject keys, and neither read nor destroy another tenant's", async () => {
  const seeded = await seedVault({ address: stack.vault!.address, rootToken: stack.vault!.root_token, tenants: [tenant, other] });
  const asTenant = (forTenant: TenantId) => {
    const { roleId, secretId } = seeded.tenants[forTenant]!;
    return createSubjectKeyVaults({ vault: { address: stack.vault!.address, auth: { method: 'approle', roleId, secretId } }, mount: codec.piiKeysMount });
  };
  const mine = asTenant(tenant);
  const theirs = asTenant(other);
  try {
    const otherToken = await freshVault(other).tokenize('ssn', '219-09-9998');
    const otherKeyId = (await owner.query('SELECT subject_key_id FROM pii_vault WHERE tenant_id = $1 AND token = $2', [other, idOf(otherToken)])).rows[0].subject_key_id as string;
    const otherKey = await theirs.forTenant(other).read(otherKeyId);
    expect(otherKey).toHaveLength(32);

    const ownKeyId = '00000000-0000-4000-8000-' + randomBytes(6).toString('hex');
    const ownKey = await mine.forTenant(tenant).create(ownKeyId);
    expect(await mine.forTenant(tenant).read(ownKeyId)).toEqual(ownKey);

    for (const attempt of [() => mine.forTenant(other).read(otherKeyId), () => mine.forTenant(other).destroy(otherKeyId), () => mine.forTenant(other).create(ownKeyId)]) {
      const refused = await attempt().catch((error: unknown) => error);
      expect(isStewardError(refused, 'SECRET_DENIED')).toBe(true);
    }
    expect(await theirs.forTenant(other).read(otherKeyId)).toEqual(otherKey);
    expect(await freshVault(other).detokenize(otherToken)).toBe('219-09-9998');

    await mine.forTenant(tenant).destroy(ownKeyId);
    expect(await mine.forTenant(tenant).read(ownKeyId)).toBeUndefined();
  } finally {
    mine.close();
    theirs.close();
  }
});

test('an entry sealed with the tenant keyring before subject keys still restores, and erasure deletes it', async () => {
  const [type, value] = ['email', 'sealed.before@example.org'];
  const hmacKey = loadTenantPiiHmacKey(config, tenant);
  const id = randomBytes(12).toString('base64url');
  const { keyId, sealed } = await keys.keyringFor(tenant).seal(new TextEncoder().encode(value), `steward/pii-vault/${tenant}/${type}/${id}`);
  await owner.query(
    `INSERT INTO pii_vault (tenant_id, token, type, value_hmac, subject_hash, key_id, sealed, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now() + interval '1 day')`,
    [tenant, id, type, createHmac('sha256', hmacKey).update(`${type}\u0000${value}`).digest(), hashValue(type, value, hmacKey), keyId, Buffer.from(sealed)],
  );
  const token = `[pii:${type}:tok_${id}]`;
  expect(await freshVault(tenant).detokenize(token)).toBe(value);
  // The value keeps its old entry (and token) while it lives; the subject key made on the way sealed nothing kept.
  expect(await freshVault(tenant).tokenize(type, value)).toBe(token);
  expect(await freshVault(tenant).erase(value)).toMatchObject({ count: 1, types: [type] });
  expect(await freshVault(tenant).detokenize(token)).toBeUndefined();
});

test('a value tokenized again while its subject is erased leaves no entry that no key opens', async () => {
  const cached = createTenantPiiVault(config, app, keys.keyringFor(tenant)); // a worker's vault: it remembers the subject key
  for (let round = 0; round < 12; round++) {
    const value = `race.${round}@example.org`;
    await cached.tokenize('email', value);
    const spelled = value.toUpperCase(); // another spelling of the same subject, sealed under the same key
    const [token] = await Promise.all([cached.tokenize('email', spelled), freshVault(tenant).erase(value)]);
    const restored = await freshVault(tenant).detokenize(token);
    expect([undefined, spelled]).toContain(restored);
  }
  // Whatever the interleaving: every entry names a key that is still named and still in Vault.
  const orphans = await owner.query(
    `SELECT token FROM pii_vault v WHERE tenant_id = $1 AND subject_key_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pii_subject_keys k WHERE k.tenant_id = v.tenant_id AND k.key_id = v.subject_key_id)`,
    [tenant],
  );
  expect(orphans.rows).toEqual([]);
  const named = await owner.query<{ key_id: string }>('SELECT key_id FROM pii_subject_keys WHERE tenant_id = $1', [tenant]);
  for (const { key_id } of named.rows) expect(await subjectKeysOf(tenant).read(key_id)).toHaveLength(32);
});

test('a spelling tokenized while the purge rotates its subject key is sealed under the new key, never the retired one', async () => {
  const cached = createTenantPiiVault(config, app, keys.keyringFor(tenant)); // a worker's vault: it remembers the subject key
  for (let round = 0; round < 12; round++) {
    const expiring = await freshVault(tenant).tokenize('email', `Rot.${round}@example.org`);
    await cached.tokenize('email', `rot.${round}@example.org`);
    await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(expiring)]);
    const spelled = `ROT.${round}@example.org`;
    const [, token] = await Promise.all([purgeExpiredPii(app, subjectKeysOf(tenant)), cached.tokenize('email', spelled)]);
    expect(await freshVault(tenant).detokenize(token)).toBe(spelled);
  }
  // Whatever the interleaving: every entry is sealed under the key its subject is named with now, and no retired
  // key is left in Vault.
  const misplaced = await owner.query(
    `SELECT token FROM pii_vault v WHERE tenant_id = $1 AND subject_key_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pii_subject_keys k WHERE k.tenant_id = v.tenant_id AND k.key_id = v.subject_key_id AND k.subject_hash = v.subject_hash)`,
    [tenant],
  );
  expect(misplaced.rows).toEqual([]);
  const retired = await owner.query(`SELECT key_id FROM pii_subject_keys WHERE tenant_id = $1 AND starts_with(subject_hash, 'retired:')`, [tenant]);
  expect(retired.rows).toEqual([]);
});

test('a live spelling read just before the purge rotates its subject key still restores after the old key is gone', async () => {
  const expiring = await freshVault(tenant).tokenize('email', 'Read.Before@example.org');
  const living = 'read.before@example.org';
  const token = await freshVault(tenant).tokenize('email', living);
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(expiring)]);
  // A reader whose Vault reads (real ones) wait until the purge is done: it has read the entry's row, old key and
  // all, before the rotation, and asks Vault for that key only after the purge destroyed it.
  const vault = subjectKeysOf(tenant);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let asked!: () => void;
  const askedForKey = new Promise<void>((resolve) => (asked = resolve));
  const slowVault: SubjectKeyVault = { ...vault, tenant, read: async (keyId) => (asked(), await released, vault.read(keyId)) };
  const reader = createPiiVault({
    pool: app,
    keyring: keys.keyringFor(tenant),
    subjectKeyVault: slowVault,
    hmacKey: loadTenantPiiHmacKey(config, tenant),
    retentionDays: async () => 1,
    cacheTtlMs: 0,
  });
  const restoring = reader.detokenize(token);
  await askedForKey;
  expect(await purgeExpiredPii(app, vault)).toBe(1);
  release();
  expect(await restoring).toBe(living);
});

test('a live spelling that no longer opens (tampered) does not stop the purge: its subject keeps its key', async () => {
  const expiring = await freshVault(tenant).tokenize('email', 'Tampered.Sibling@example.org');
  const living = await freshVault(tenant).tokenize('email', 'tampered.sibling@example.org');
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(expiring)]);
  await owner.query(`UPDATE pii_vault SET sealed = sealed || '\\x00'::bytea WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(living)]);
  expect(await purgeExpiredPii(app, subjectKeysOf(tenant))).toBe(1);
  const left = await owner.query('SELECT token FROM pii_vault WHERE tenant_id = $1 AND token = ANY($2::text[])', [tenant, [idOf(expiring), idOf(living)]]);
  expect(left.rows).toEqual([{ token: idOf(living) }]);
});

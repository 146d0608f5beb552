// The Vault-backed keyring against the real Vault Transit and Postgres: what it seals opens again, and nothing
// else does — not a flipped byte, not an unknown key id, not another tenant's keyring, not a copied key row.
import type { Pool } from 'pg';
import { loadCodecConfig } from '../../src/codec/config';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createTransitKeys, type TransitKeys } from '../../src/codec/keys/transit';
import { createVaultKeyring } from '../../src/codec/keys/vault-keyring';
import { readStackFile } from '../../src/config/stack-file';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const PURPOSE = 'steward/test';
const plain = (text: string) => new TextEncoder().encode(text);
let app: Pool;
let admin: Pool;
let keyrings: KeyringFactory;
let transit: TransitKeys;
let tenantA: TenantId;
let tenantB: TenantId;

beforeAll(async () => {
  [tenantA, tenantB] = await Promise.all([createTestTenant('keys-a'), createTestTenant('keys-b')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  admin = createPool(config.databaseUrl, { max: 1 });
  keyrings = createKeyringFactory(config, app);
  const codec = loadCodecConfig(config.secretsEnv);
  transit = createTransitKeys({ vault: codec.vault, mount: codec.transitMount, keyPrefix: codec.transitKeyPrefix });
});
afterAll(async () => {
  keyrings?.close();
  transit?.close();
  await app?.end();
  await admin?.end();
});

const flipped = (bytes: Uint8Array, index: number) => {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
};

/** What an attacker with write access to Postgres could do: put one tenant's wrapped key row under another. */
async function copyKeyRow(from: TenantId, to: TenantId, keyId: string): Promise<void> {
  await admin.query(
    `INSERT INTO codec_keys (tenant_id, key_id, wrapped, active)
     SELECT $2, key_id, wrapped, false FROM codec_keys WHERE tenant_id = $1 AND key_id = $3 ON CONFLICT DO NOTHING`,
    [from, to, keyId],
  );
}

test('what a keyring seals opens again under the same aad, with a fresh IV every time', async () => {
  const keyring = keyrings.keyringFor(tenantA);
  const first = await keyring.seal(plain('the same words'), PURPOSE);
  const second = await keyring.seal(plain('the same words'), PURPOSE);
  expect(first.keyId).toBe(second.keyId);
  expect(Buffer.from(first.sealed.subarray(0, 12)).equals(Buffer.from(second.sealed.subarray(0, 12)))).toBe(false);
  expect(Buffer.from(first.sealed).equals(Buffer.from(second.sealed))).toBe(false);
  expect(Buffer.from(first.sealed).includes(Buffer.from('the same words'))).toBe(false);
  expect(new TextDecoder().decode(await keyring.open(first, PURPOSE))).toBe('the same words');
  expect(new TextDecoder().decode(await keyring.open(second, PURPOSE))).toBe('the same words');
});

test('a flipped byte in the IV, the ciphertext or the tag, or another aad, is refused, never opened as garbage', async () => {
  const keyring = keyrings.keyringFor(tenantA);
  const sealed = await keyring.seal(plain('amount: 100'), PURPOSE);
  for (const index of [0, 11, 12, sealed.sealed.length - 17, sealed.sealed.length - 1]) {
    await expect(keyring.open({ ...sealed, sealed: flipped(sealed.sealed, index) }, PURPOSE)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('do not authenticate'),
    });
  }
  await expect(keyring.open(sealed, 'steward/another-purpose')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  await expect(keyring.open({ ...sealed, sealed: sealed.sealed.subarray(0, 20) }, PURPOSE)).rejects.toMatchObject({
    code: 'INPUT_INVALID',
    message: expect.stringContaining('truncated'),
  });
});

test('an unknown key id is not found; a malformed one is refused without being echoed', async () => {
  const keyring = keyrings.keyringFor(tenantA);
  const sealed = await keyring.seal(plain('x'), PURPOSE);
  await expect(keyring.open({ ...sealed, keyId: '00000000-0000-4000-8000-000000000000' }, PURPOSE)).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  const planted = 'alice@example.com';
  const refusal = await keyring.open({ ...sealed, keyId: planted }, PURPOSE).catch((error: unknown) => error as Error);
  expect(refusal).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('malformed key id') });
  expect((refusal as Error).message).not.toContain(planted);
});

test("tenant B's keyring cannot open what tenant A sealed: A's key id is not B's", async () => {
  const sealed = await keyrings.keyringFor(tenantA).seal(plain('for A only'), PURPOSE);
  await expect(keyrings.keyringFor(tenantB).open(sealed, PURPOSE)).rejects.toMatchObject({
    code: 'NOT_FOUND',
    message: expect.stringContaining(`not one of tenant ${tenantB}'s codec keys`),
  });
});

test("A's wrapped key copied into B's partition does not unwrap under B's Transit key", async () => {
  await keyrings.keyringFor(tenantB).seal(plain('B has keys of its own'), PURPOSE);
  const sealed = await keyrings.keyringFor(tenantA).seal(plain('for A only'), PURPOSE);
  await copyKeyRow(tenantA, tenantB, sealed.keyId);
  // A fresh keyring for B, so nothing is cached from earlier tests.
  const b = createVaultKeyring({ tenant: tenantB, pool: app, transit, activeKeyTtlMs: 0 });
  await expect(b.open(sealed, PURPOSE)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('does not unwrap') });
});

test("even holding A's data key (a Transit mix-up), B's keyring refuses A's bytes: the seal binds the tenant", async () => {
  const sealed = await keyrings.keyringFor(tenantA).seal(plain('for A only'), PURPOSE);
  await copyKeyRow(tenantA, tenantB, sealed.keyId);
  const mixedUp: TransitKeys = { ...transit, unwrapDataKey: (_tenant, wrapped) => transit.unwrapDataKey(tenantA, wrapped) };
  const b = createVaultKeyring({ tenant: tenantB, pool: app, transit: mixedUp, activeKeyTtlMs: 0 });
  await expect(b.open(sealed, PURPOSE)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('do not authenticate') });
});

test('rotation makes a new active key; what older keys sealed still opens, also in a process that never saw them', async () => {
  const keyring = keyrings.keyringFor(tenantB);
  const before = await keyring.seal(plain('sealed before'), PURPOSE);
  const rotated = await keyring.rotate();
  expect(rotated).toMatchObject({ active: true });
  expect(rotated.keyId).not.toBe(before.keyId);
  const after = await keyring.seal(plain('sealed after'), PURPOSE);
  expect(after.keyId).toBe(rotated.keyId);

  const elsewhere = createVaultKeyring({ tenant: tenantB, pool: app, transit, activeKeyTtlMs: 0 });
  expect(new TextDecoder().decode(await elsewhere.open(before, PURPOSE))).toBe('sealed before');
  expect(new TextDecoder().decode(await elsewhere.open(after, PURPOSE))).toBe('sealed after');

  const listed = await keyring.listKeys();
  expect(listed.filter((key) => key.active).map((key) => key.keyId)).toEqual([rotated.keyId]);
  expect(listed.map((key) => key.keyId)).toEqual(expect.arrayContaining([before.keyId, rotated.keyId]));
  const { rows } = await admin.query(`SELECT wrapped FROM codec_keys WHERE tenant_id = $1`, [tenantB]);
  for (const row of rows) expect(row.wrapped).toMatch(/^vault:v\d+:/);
});

test('a rotation made by another process reaches a keyring once its cached active key expires', async () => {
  const tenant = await createTestTenant('keys-ttl');
  let clock = 0;
  const watcher = createVaultKeyring({ tenant, pool: app, transit, activeKeyTtlMs: 1_000, now: () => clock });
  const first = await watcher.seal(plain('1'), PURPOSE);
  const rotated = await createVaultKeyring({ tenant, pool: app, transit, activeKeyTtlMs: 0 }).rotate();
  expect((await watcher.seal(plain('2'), PURPOSE)).keyId).toBe(first.keyId);
  clock = 1_000;
  expect((await watcher.seal(plain('3'), PURPOSE)).keyId).toBe(rotated.keyId);
});

test('two processes sealing their first payload at once agree on one active key', async () => {
  const tenant = await createTestTenant('keys-race');
  const racers = Array.from({ length: 4 }, () => createVaultKeyring({ tenant, pool: app, transit, activeKeyTtlMs: 0 }));
  const sealed = await Promise.all(racers.map((keyring) => keyring.seal(plain('first'), PURPOSE)));
  expect(new Set(sealed.map((s) => s.keyId)).size).toBe(1);
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM codec_keys WHERE tenant_id = $1`, [tenant]);
  expect(rows[0].n).toBe(1);
});

test("a Vault that lost the tenant's Transit key (a restarted dev server) gives a clear error, not garbage", async () => {
  const tenant = await createTestTenant('keys-lost');
  const sealed = await createVaultKeyring({ tenant, pool: app, transit, activeKeyTtlMs: 0 }).seal(plain('before the loss'), PURPOSE);
  const vault = readStackFile(config.env.STEWARD_STATE_DIR)!.vault!;
  const root = (method: string, path: string, body?: unknown) =>
    fetch(`${vault.address}/v1/transit/keys/steward-codec-${tenant}${path}`, {
      method,
      headers: { 'X-Vault-Token': vault.root_token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  expect((await root('POST', '/config', { deletion_allowed: true })).ok).toBe(true);
  expect((await root('DELETE', '')).ok).toBe(true);
  const after = createVaultKeyring({ tenant, pool: app, transit, activeKeyTtlMs: 0 });
  await expect(after.open(sealed, PURPOSE)).rejects.toMatchObject({
    code: 'SECRET_BACKEND_UNAVAILABLE',
    message: expect.stringContaining(`has no Transit key steward-codec-${tenant}`),
  });
  await expect(after.seal(plain('no active key to seal with'), PURPOSE)).rejects.toMatchObject({ code: 'SECRET_BACKEND_UNAVAILABLE' });
  // A rotation (`steward keys rotate`) makes a new Transit key and data key: new payloads seal again, old stay lost.
  const rotated = await after.rotate();
  const sealedAgain = await after.seal(plain('after the rotation'), PURPOSE);
  expect(sealedAgain.keyId).toBe(rotated.keyId);
  expect(new TextDecoder().decode(await after.open(sealedAgain, PURPOSE))).toBe('after the rotation');
  await expect(after.open(sealed, PURPOSE)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
});

test('the application role sees only the tenant it is bound to: no setting, no keys', async () => {
  await keyrings.keyringFor(tenantA).seal(plain('x'), PURPOSE);
  const { rows } = await app.query(`SELECT count(*)::int AS n FROM codec_keys`);
  expect(rows[0].n).toBe(0);
});

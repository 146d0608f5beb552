// The Postgres PII vault with the real keyring (Vault Transit): tokens are stable per tenant, values are sealed,
// another tenant cannot restore them, and expiry and erasure shred them for good.
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keyring-factory';
import { loadTenantPiiHmacKey } from '../../src/codec/pii-master-key';
import { createTenantPiiVault } from '../../src/codec/pii-tenant-vault';
import { createPiiVault, purgeExpiredPii, type PiiVault } from '../../src/codec/pii-vault';
import { createPool } from '../../src/db/pool';
import { isStewardError } from '../../src/errors';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let other: TenantId;
let app: Pool;
let owner: Pool;
let keys: KeyringFactory;

const SSN = '078-05-1120';
const EMAIL = 'vault.canary@example.org';

/** A vault without a cache, as a second process would see the table. */
const freshVault = (forTenant: TenantId): PiiVault => createTenantPiiVault(config, app, keys.keyringFor(forTenant), { cacheTtlMs: 0 });

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('piivault'), createTestTenant('piivault-other')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  owner = createPool(config.databaseUrl, { max: 2 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
  await owner?.end();
});

async function rowsOf(forTenant: TenantId): Promise<Array<Record<string, unknown>>> {
  return (await owner.query('SELECT * FROM pii_vault WHERE tenant_id = $1', [forTenant])).rows;
}

test('a value becomes a token and comes back from Postgres; the table holds it sealed, never in clear', async () => {
  const vault = freshVault(tenant);
  const token = await vault.tokenize('email', EMAIL);
  expect(token).toMatch(/^\[pii:email:tok_[A-Za-z0-9_-]{16}\]$/);
  expect(await freshVault(tenant).detokenize(token)).toBe(EMAIL);
  const stored = JSON.stringify((await rowsOf(tenant)).map((row) => ({ ...row, sealed: (row.sealed as Buffer).toString('latin1') })));
  expect(stored).not.toContain(EMAIL);
  expect(stored).not.toContain('vault.canary');
});

test('the same value gets the same token in every process; another type or value gets another', async () => {
  const first = await freshVault(tenant).tokenize('ssn', SSN);
  expect(await freshVault(tenant).tokenize('ssn', SSN)).toBe(first);
  const concurrent = await Promise.all([freshVault(tenant).tokenize('phone', '+1 415 555 0100'), freshVault(tenant).tokenize('phone', '+1 415 555 0100')]);
  expect(concurrent[0]).toBe(concurrent[1]);
  expect(await freshVault(tenant).tokenize('phone', SSN)).not.toBe(first);
  expect(await freshVault(tenant).tokenize('ssn', '078-05-1121')).not.toBe(first);
});

test("another tenant's vault cannot restore a token, even with the row copied into its own partition", async () => {
  const token = await freshVault(tenant).tokenize('email', EMAIL);
  expect(await freshVault(other).detokenize(token)).toBeUndefined();
  // The same value in the other tenant gets a token of its own.
  expect(await freshVault(other).tokenize('email', EMAIL)).not.toBe(token);

  // An operator (or attacker with table access) moves tenant A's sealed row under tenant B: it must not open.
  const id = /tok_([^\]]+)/.exec(token)![1];
  await owner.query(
    `INSERT INTO pii_vault (tenant_id, token, type, value_hmac, subject_hash, key_id, sealed, expires_at)
     SELECT $2, 'copied' || token, type, value_hmac || '\\x00'::bytea, subject_hash, key_id, sealed, expires_at FROM pii_vault WHERE tenant_id = $1 AND token = $3`,
    [tenant, other, id],
  );
  const copied = `[pii:email:tok_copied${id}]`;
  const refused = await freshVault(other).detokenize(copied).catch((error: unknown) => error);
  expect(isStewardError(refused, 'TOKENIZER_FAILED')).toBe(true);
  expect(String(refused)).not.toContain(EMAIL);
});

test('a tampered sealed value is a clear error, never garbage', async () => {
  const token = await freshVault(tenant).tokenize('email', 'tamper.me@example.org');
  const id = /tok_([^\]]+)/.exec(token)![1];
  await owner.query(`UPDATE pii_vault SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE tenant_id = $1 AND token = $2`, [tenant, id]);
  await expect(freshVault(tenant).detokenize(token)).rejects.toThrow('does not open');
});

test('an expired entry is never restored, a value seen again gets a new token, and the purge deletes the old row', async () => {
  const value = 'expiring@example.org';
  const token = await freshVault(tenant).tokenize('email', value);
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND token = $2`, [tenant, /tok_([^\]]+)/.exec(token)![1]]);
  expect(await freshVault(tenant).detokenize(token)).toBeUndefined();
  const again = await freshVault(tenant).tokenize('email', value);
  expect(again).not.toBe(token);
  expect(await freshVault(tenant).detokenize(again)).toBe(value);
  expect(await freshVault(tenant).detokenize(token)).toBeUndefined();

  const stale = await freshVault(tenant).tokenize('email', 'stale@example.org');
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 day' WHERE tenant_id = $1 AND token = $2`, [tenant, /tok_([^\]]+)/.exec(stale)![1]]);
  expect(await purgeExpiredPii(app, tenant)).toBe(1);
  expect((await rowsOf(tenant)).some((row) => `[pii:email:tok_${row.token}]` === stale)).toBe(false);
});

test('erasing a value removes every entry of it, in any spelling, in this tenant only', async () => {
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant)); // with a cache: erase must clear it too
  const dashed = await vault.tokenize('ssn', '219-09-9999');
  const spaced = await vault.tokenize('ssn', '219 09 9999');
  const elsewhere = await freshVault(other).tokenize('ssn', '219-09-9999');
  expect(await vault.detokenize(dashed)).toBe('219-09-9999');

  expect(await vault.erase('219099999')).toEqual({ count: 2, types: ['ssn'] });
  expect(await vault.detokenize(dashed)).toBeUndefined();
  expect(await freshVault(tenant).detokenize(spaced)).toBeUndefined();
  expect(await freshVault(other).detokenize(elsewhere)).toBe('219-09-9999');
  expect(await vault.erase('219-09-9999')).toEqual({ count: 0, types: [] });
});

test("entries live as long as the tenant's longest data-policy retention", async () => {
  const client = await StewardClient.connect({ tenant: other, config });
  try {
    await client.register('id: short\nversion: 1\ndata_policy: { retention_days: 3 }\nstart: done\nnodes:\n  done: { type: end }\n');
    await client.register('id: long\nversion: 1\ndata_policy: { retention_days: 9 }\nstart: done\nnodes:\n  done: { type: end }\n');
  } finally {
    await client.close();
  }
  const token = await freshVault(other).tokenize('email', 'retention@example.org');
  const { rows } = await owner.query(`SELECT extract(epoch FROM expires_at - now()) / 86400 AS days FROM pii_vault WHERE tenant_id = $1 AND token = $2`, [other, /tok_([^\]]+)/.exec(token)![1]]);
  expect(Number(rows[0].days)).toBeCloseTo(9, 1);
});

test('values are found only through the keyed HMAC: a vault holding another key neither reuses nor erases them', async () => {
  const keyring = keys.keyringFor(tenant);
  const token = await freshVault(tenant).tokenize('email', 'keyed@example.org');
  const foreignKey = createPiiVault({ pool: app, keyring, hmacKey: new Uint8Array(32).fill(9), retentionDays: async () => 1, cacheTtlMs: 0 });
  // The per-tenant HMAC key is derived, not random: the same config gives the same key.
  expect(loadTenantPiiHmacKey(config, tenant)).toEqual(loadTenantPiiHmacKey(config, tenant));
  expect(await foreignKey.tokenize('email', 'keyed@example.org')).not.toBe(token);
  expect(await foreignKey.erase('keyed@example.org')).toMatchObject({ count: 1 });
  expect(await freshVault(tenant).detokenize(token)).toBe('keyed@example.org');
});

// The Postgres PII vault with the real keyring (Vault Transit): tokens are stable per tenant, values are sealed,
// another tenant cannot restore them, use keeps them alive, and expiry and erasure shred them for good.
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec, type PiiView } from '../../src/codec/pii-codec';
import { loadTenantPiiHmacKey } from '../../src/codec/keys/pii-master-key';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPiiVault, purgeExpiredPii, type PiiVault } from '../../src/codec/pii-vault/pii-vault';
import { subjectKeyVaultsFor } from '../../src/codec/pii-vault/subject-key-vault';
import { createPool } from '../../src/db/pool';
import { isStewardError } from '../../src/errors';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let other: TenantId;
let retained: TenantId;
let app: Pool;
let owner: Pool;
let keys: KeyringFactory;

const SSN = '078-05-1120';
const EMAIL = 'vault.canary@example.org';

/** A vault without a cache, as a second process would see the table. */
const subjectKeysOf = (forTenant: TenantId) => subjectKeyVaultsFor(config).forTenant(forTenant);
const freshVault = (forTenant: TenantId): PiiVault => createTenantPiiVault(config, app, keys.keyringFor(forTenant), { cacheTtlMs: 0 });

beforeAll(async () => {
  [tenant, other, retained] = await Promise.all([createTestTenant('piivault'), createTestTenant('piivault-other'), createTestTenant('piivault-retained')]);
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

const idOf = (token: string) => /tok_([^\]]+)/.exec(token)![1]!;

/** What is left of a token's entry, as the table's owner sees it: seconds until it expires, or undefined once deleted. */
async function secondsLeft(forTenant: TenantId, token: string): Promise<number | undefined> {
  const { rows } = await owner.query(`SELECT extract(epoch FROM expires_at - now()) AS left FROM pii_vault WHERE tenant_id = $1 AND token = $2`, [forTenant, idOf(token)]);
  return rows[0] ? Number(rows[0].left) : undefined;
}

/** Moves an entry's expiry to `seconds` from now, as if that much of its retention were left. */
async function expireIn(forTenant: TenantId, token: string, seconds: number): Promise<void> {
  await owner.query(`UPDATE pii_vault SET expires_at = now() + make_interval(secs => $3) WHERE tenant_id = $1 AND token = $2`, [forTenant, idOf(token), seconds]);
}

const DAY = 86_400;
/** A vault with a one-day retention (`data_policy.retention_days: 1`), uncached. */
const oneDayVault = (forTenant: TenantId): PiiVault =>
  createPiiVault({ pool: app, keyring: keys.keyringFor(forTenant), subjectKeyVault: subjectKeysOf(forTenant), hmacKey: loadTenantPiiHmacKey(config, forTenant), retentionDays: async () => 1, cacheTtlMs: 0 });
const codecOf = (vault: PiiVault, view: PiiView = 'restore') => createPiiCodec({ vault, view });
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
/** The token the codec wrote for the payload's `field`. */
const tokenIn = (payload: Payload, field: string) => (JSON.parse(Buffer.from(payload.data!).toString()) as Record<string, string>)[field]!;

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
  expect(await purgeExpiredPii(app, subjectKeysOf(tenant))).toBe(1);
  expect((await rowsOf(tenant)).some((row) => `[pii:email:tok_${row.token}]` === stale)).toBe(false);
});

test('erasing a value removes every entry of it, in any spelling, in this tenant only', async () => {
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant)); // with a cache: erase must clear it too
  const dashed = await vault.tokenize('ssn', '219-09-9999');
  const spaced = await vault.tokenize('ssn', '219 09 9999');
  const elsewhere = await freshVault(other).tokenize('ssn', '219-09-9999');
  expect(await vault.detokenize(dashed)).toBe('219-09-9999');

  expect(await vault.erase('219099999')).toEqual({ count: 2, types: ['ssn'], keys: 1 });
  expect(await vault.detokenize(dashed)).toBeUndefined();
  expect(await freshVault(tenant).detokenize(spaced)).toBeUndefined();
  expect(await freshVault(other).detokenize(elsewhere)).toBe('219-09-9999');
  expect(await vault.erase('219-09-9999')).toEqual({ count: 0, types: [], keys: 0 });
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
  const foreignKey = createPiiVault({ pool: app, keyring, subjectKeyVault: subjectKeysOf(tenant), hmacKey: new Uint8Array(32).fill(9), retentionDays: async () => 1, cacheTtlMs: 0 });
  // The per-tenant HMAC key is derived, not random: the same config gives the same key.
  expect(loadTenantPiiHmacKey(config, tenant)).toEqual(loadTenantPiiHmacKey(config, tenant));
  expect(await foreignKey.tokenize('email', 'keyed@example.org')).not.toBe(token);
  expect(await foreignKey.erase('keyed@example.org')).toMatchObject({ count: 1 });
  expect(await freshVault(tenant).detokenize(token)).toBe('keyed@example.org');
});

test('a value restored for a run lives a full retention from that use, so a run waiting days for an approval still finds it', async () => {
  const vault = oneDayVault(retained);
  const encoded = await codecOf(vault).encode([toPayload({ approver: 'waiting.approver@example.org' })]);
  const token = tokenIn(encoded[0]!, 'approver');

  // 23 hours later a replay decodes the run's input: the entry is renewed to a day from now.
  await expireIn(retained, token, 3_600);
  expect(fromPayload((await codecOf(vault).decode(encoded))[0]!)).toEqual({ approver: 'waiting.approver@example.org' });
  expect((await secondsLeft(retained, token))! / DAY).toBeCloseTo(1, 2);

  // Showing the value masked or as a token (the codec server, a viewer) is no use by a run: nothing is renewed.
  await expireIn(retained, token, 3_600);
  for (const view of ['mask', 'token'] as const) await codecOf(vault, view).decode(encoded);
  expect(await secondsLeft(retained, token)).toBeLessThan(3_601);

  // An entry renewed less than a tenth of its retention ago is not written again on every decode.
  await expireIn(retained, token, 0.95 * DAY);
  const before = (await owner.query(`SELECT expires_at FROM pii_vault WHERE tenant_id = $1 AND token = $2`, [retained, idOf(token)])).rows[0].expires_at;
  await codecOf(vault).decode(encoded);
  expect((await owner.query(`SELECT expires_at FROM pii_vault WHERE tenant_id = $1 AND token = $2`, [retained, idOf(token)])).rows[0].expires_at).toEqual(before);
});

test('restoring for a run neither revives an expired entry nor an erased one, and the purge still deletes what expired', async () => {
  const vault = oneDayVault(retained);
  const encoded = await codecOf(vault).encode([toPayload({ expired: 'lapsed@example.org', erased: 'forget.me@example.org' })]);
  const [expired, erased] = [tokenIn(encoded[0]!, 'expired'), tokenIn(encoded[0]!, 'erased')];
  await expireIn(retained, expired, -60);
  expect(await freshVault(retained).erase('forget.me@example.org')).toEqual({ count: 1, types: ['email'], keys: 1 });

  expect(fromPayload((await codecOf(vault).decode(encoded))[0]!)).toEqual({ expired, erased });
  expect(await secondsLeft(retained, expired)).toBeLessThan(-59);
  expect(await secondsLeft(retained, erased)).toBeUndefined();
  expect(await purgeExpiredPii(app, subjectKeysOf(retained))).toBe(1);
  expect(await secondsLeft(retained, expired)).toBeUndefined();
});

test('after another process erases a value, a process that remembered its token tokenizes the value afresh', async () => {
  const cached = createTenantPiiVault(config, app, keys.keyringFor(tenant)); // the worker's vault, cache and all
  const erased = await cached.tokenize('email', 'erased.elsewhere@example.org');
  expect(await freshVault(tenant).erase('erased.elsewhere@example.org')).toMatchObject({ count: 1 });

  const again = await cached.tokenize('email', 'erased.elsewhere@example.org');
  expect(again).not.toBe(erased);
  expect(await freshVault(tenant).detokenize(again)).toBe('erased.elsewhere@example.org');
  expect(await freshVault(tenant).detokenize(erased)).toBeUndefined();
  // A remembered token whose entry lives is handed out again, as before.
  expect(await cached.tokenize('email', 'erased.elsewhere@example.org')).toBe(again);
});

test('an entry that does not open fails only the decodes holding its token; runs decoded beside it get their values', async () => {
  const vault = freshVault(tenant); // one vault: concurrent decodes share a restore batch
  const [healthy] = await codecOf(vault).encode([toPayload({ to: 'healthy.run@example.org' })]);
  const [broken] = await codecOf(vault).encode([toPayload({ to: 'broken.run@example.org' })]);
  await owner.query(`UPDATE pii_vault SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE tenant_id = $1 AND token = $2`, [tenant, idOf(tokenIn(broken!, 'to'))]);

  const codec = codecOf(vault);
  const [ok, failed] = await Promise.allSettled([codec.decode([healthy!]), codec.decode([broken!])]);
  expect(ok.status === 'fulfilled' && fromPayload(ok.value[0]!)).toEqual({ to: 'healthy.run@example.org' });
  const reason = failed.status === 'rejected' ? failed.reason : undefined;
  expect(isStewardError(reason, 'TOKENIZER_FAILED')).toBe(true);
  expect(String(reason)).toContain('the entry of a email token does not open');
  expect(String(reason)).not.toContain('broken.run');
  // One decode holding both is refused whole: a run never sees a payload list half restored.
  await expect(codec.decode([healthy!, broken!])).rejects.toThrow('does not open');
});

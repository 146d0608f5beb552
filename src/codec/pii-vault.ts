// The PII vault: a tenant's tokenized values in Postgres (`pii_vault`), each sealed with the tenant's keyring and
// found again only through keyed HMACs. One value keeps one token while its entry lives; an expired or erased
// entry is never read again, so the tokens that named it stay tokens for good (crypto-shredding).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../db/tenant-scope';
import { StewardError } from '../errors';
import { hashValue } from '../pii/hash';
import { formatTokenMarker } from '../pii/markers';
import type { Tokenizer } from '../pii/tokenizer';
import type { PiiType } from '../pii/types';
import type { TenantId } from '../tenancy/tenant-id';
import type { TenantKeyring } from './keyring';

export interface RestoredValue {
  type: PiiType;
  value: string;
}

export interface PiiVault extends Tokenizer {
  readonly tenant: TenantId;
  tokenize(type: PiiType, value: string): Promise<string>;
  detokenize(token: string): Promise<string | undefined>;
  /** Many tokens at once (one query); tokens the vault never issued, or has shredded, are absent from the map. */
  restore(tokens: readonly string[]): Promise<Map<string, RestoredValue>>;
  /** Removes every entry of `value`, whatever its type and spelling; returns how many, and of which types. */
  erase(value: string): Promise<{ count: number; types: PiiType[] }>;
  /** Deletes the entries past their expiry; returns how many. */
  purgeExpired(): Promise<number>;
  /** A MAC under the tenant's key over a payload's token list and data: only lists this tenant wrote are honoured. */
  tagTokenList(list: string, data: Uint8Array): string;
  checkTokenListTag(list: string, data: Uint8Array, tag: string): boolean;
}

export interface PiiVaultOptions {
  /** The application role's pool: every query runs bound to the keyring's tenant. */
  pool: Pool;
  keyring: TenantKeyring;
  /** The tenant's HMAC key (src/tenancy/pii-keys.ts). */
  hmacKey: Uint8Array;
  /** How long an entry lives after its value was last tokenized. */
  retentionDays: () => Promise<number>;
  /** How long this process remembers value↔token pairs; 0 asks the database every time. An erasure made by
   *  another process is seen here after at most this long. */
  cacheTtlMs?: number;
}

export const DEFAULT_CACHE_TTL_MS = 30_000;
const CACHE_MAX_ENTRIES = 10_000;
// Expired rows are deleted by whichever process tokenizes for the tenant, at most this often (and by
// `steward pii purge-expired`); reads ignore them in between.
const PURGE_INTERVAL_MS = 10 * 60_000;
const TOKEN_MARKER = /^\[pii:([a-z][a-z0-9_]*):tok_([A-Za-z0-9_-]{1,64})\]$/;

/** The type and id of a token marker, or undefined for any other text. */
export function parseTokenMarker(text: string): { type: PiiType; id: string } | undefined {
  const match = TOKEN_MARKER.exec(text);
  return match ? { type: match[1]!, id: match[2]! } : undefined;
}

/** Binds a sealed value to its tenant, type and token: a row copied to another token or tenant never opens. */
function aadOf(tenant: TenantId, type: PiiType, id: string): string {
  return `steward/pii-vault/${tenant}/${type}/${id}`;
}

const pairKey = (type: PiiType, value: string) => `${type}\u0000${value}`;

export function createPiiVault(options: PiiVaultOptions): PiiVault {
  const { pool, keyring, hmacKey } = options;
  const tenant = keyring.tenant;
  const valueHmac = (type: PiiType, value: string) => createHmac('sha256', hmacKey).update(pairKey(type, value)).digest();
  // The first purge waits one interval: short-lived processes (the CLI, a client) leave it to long-lived ones.
  let lastPurge = Date.now();
  const listKey = createHmac('sha256', hmacKey).update('steward/pii-codec/token-list').digest();
  const tagOf = (list: string, data: Uint8Array) => createHmac('sha256', listKey).update(list).update('\u0000').update(data).digest();

  const scope = <T>(work: (db: PoolClient) => Promise<T>) => withTenant(pool, tenant, work);

  async function tokenizeBatch(keys: readonly string[]): Promise<string[]> {
    const days = await options.retentionDays();
    const pairs = [...new Set(keys)].map((key) => {
      const at = key.indexOf('\u0000');
      return { key, type: key.slice(0, at), value: key.slice(at + 1) };
    });
    const rows = await Promise.all(
      pairs.map(async ({ type, value }) => {
        const id = randomBytes(12).toString('base64url');
        const { keyId, sealed } = await keyring.seal(new TextEncoder().encode(value), aadOf(tenant, type, id));
        return { id, type, hmac: valueHmac(type, value), subject: hashValue(type, value, hmacKey), keyId, sealed: Buffer.from(sealed) };
      }),
    );
    // A live entry keeps its token and lives on; an expired one that was not purged yet is replaced whole, so a
    // value seen again never brings an old token (and the histories holding it) back to life.
    const result = await scope((db) =>
      db.query<{ type: string; value_hmac: Buffer; token: string }>(
        `INSERT INTO pii_vault (tenant_id, token, type, value_hmac, subject_hash, key_id, sealed, expires_at)
         SELECT $1, token, type, value_hmac, subject_hash, key_id, sealed, now() + make_interval(days => $8)
         FROM unnest($2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::bytea[])
           AS given(token, type, value_hmac, subject_hash, key_id, sealed)
         ON CONFLICT (tenant_id, type, value_hmac) DO UPDATE SET
           token      = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.token ELSE EXCLUDED.token END,
           key_id     = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.key_id ELSE EXCLUDED.key_id END,
           sealed     = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.sealed ELSE EXCLUDED.sealed END,
           created_at = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.created_at ELSE now() END,
           expires_at = GREATEST(CASE WHEN pii_vault.expires_at > now() THEN pii_vault.expires_at END, EXCLUDED.expires_at)
         RETURNING type, value_hmac, token`,
        [tenant, rows.map((r) => r.id), rows.map((r) => r.type), rows.map((r) => r.hmac), rows.map((r) => r.subject), rows.map((r) => r.keyId), rows.map((r) => r.sealed), days],
      ),
    );
    const tokens = new Map(result.rows.map((row) => [`${row.type}\u0000${row.value_hmac.toString('hex')}`, formatTokenMarker(row.type, row.token)]));
    const byKey = new Map(pairs.map((pair, i) => [pair.key, tokens.get(`${pair.type}\u0000${rows[i]!.hmac.toString('hex')}`)]));
    purgeNowAndThen();
    return keys.map((key) => {
      const token = byKey.get(key);
      if (token === undefined) throw new StewardError('TOKENIZER_FAILED', 'pii vault: the database returned no token for a value');
      return token;
    });
  }

  async function restoreBatch(markers: readonly string[]): Promise<Array<RestoredValue | undefined>> {
    const parsed = markers.map(parseTokenMarker);
    const ids = [...new Set(parsed.flatMap((p) => (p ? [p.id] : [])))];
    if (ids.length === 0) return markers.map(() => undefined);
    const result = await scope((db) =>
      db.query<{ token: string; type: string; key_id: string; sealed: Buffer }>(
        `SELECT token, type, key_id, sealed FROM pii_vault WHERE token = ANY($1::text[]) AND expires_at > now()`,
        [ids],
      ),
    );
    const found = new Map(result.rows.map((row) => [row.token, row]));
    return Promise.all(
      parsed.map(async (marker) => {
        const row = marker && found.get(marker.id);
        if (!marker || !row || row.type !== marker.type) return undefined;
        try {
          const plain = await keyring.open({ keyId: row.key_id, sealed: new Uint8Array(row.sealed) }, aadOf(tenant, row.type, row.token));
          return { type: row.type, value: new TextDecoder().decode(plain) };
        } catch (cause) {
          throw new StewardError('TOKENIZER_FAILED', `pii vault: the entry of a ${row.type} token does not open (tampered, or sealed for another tenant)`, { cause });
        }
      }),
    );
  }

  const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const cacheMap = <V extends object>() => (ttl > 0 ? { cacheMap: new LRUCache<string, V>({ max: CACHE_MAX_ENTRIES, ttl }) } : { cache: false as const });
  const tokens = new DataLoader<string, string>(tokenizeBatch, cacheMap<Promise<string>>());
  const restored = new DataLoader<string, RestoredValue | undefined>(restoreBatch, cacheMap<Promise<RestoredValue | undefined>>());

  function purgeNowAndThen(): void {
    if (Date.now() - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = Date.now();
    // Housekeeping only: reads already ignore expired rows, and the next interval tries again after a failure.
    purgeExpiredPii(pool, tenant).catch(() => undefined);
  }

  return {
    tenant,
    tokenize: (type, value) => tokens.load(pairKey(type, value)),
    async detokenize(token) {
      return (await restored.load(token))?.value;
    },
    async restore(markers) {
      const values = await restored.loadMany(markers);
      const map = new Map<string, RestoredValue>();
      values.forEach((value, i) => {
        if (value instanceof Error) throw value;
        if (value !== undefined) map.set(markers[i]!, value);
      });
      return map;
    },
    async erase(value) {
      const erased = await erasePii(pool, tenant, hmacKey, value);
      tokens.clearAll();
      restored.clearAll();
      return erased;
    },
    purgeExpired: () => purgeExpiredPii(pool, tenant),
    tagTokenList: (list, data) => tagOf(list, data).toString('base64url'),
    checkTokenListTag(list, data, tag) {
      const given = Buffer.from(tag, 'base64url');
      const expected = tagOf(list, data);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** Deletes the tenant's expired vault entries; needs no key, so `steward pii purge-expired` can run it anywhere. */
export async function purgeExpiredPii(pool: Pool, tenant: TenantId): Promise<number> {
  return withTenant(pool, tenant, async (db) => (await db.query('DELETE FROM pii_vault WHERE expires_at <= now()')).rowCount ?? 0);
}

/**
 * Deletes every entry of `value` in the tenant's vault, live or expired, whatever type it was detected as and
 * however it was spelled (the subject hash normalizes like keyed PII hashing does). Needs the HMAC key, not the keyring.
 */
export async function erasePii(pool: Pool, tenant: TenantId, hmacKey: Uint8Array, value: string): Promise<{ count: number; types: PiiType[] }> {
  const erased = await withTenant(pool, tenant, async (db) => {
    const types = (await db.query<{ type: string }>('SELECT DISTINCT type FROM pii_vault')).rows.map((row) => row.type);
    const subjects = types.map((type) => hashValue(type, value, hmacKey));
    return (await db.query<{ type: string }>('DELETE FROM pii_vault WHERE subject_hash = ANY($1::text[]) RETURNING type', [subjects])).rows;
  });
  return { count: erased.length, types: [...new Set(erased.map((row) => row.type))].sort() };
}

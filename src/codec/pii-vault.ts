// The PII vault: a tenant's tokenized values in Postgres (`pii_vault`), each sealed with the tenant's keyring and
// found again only through keyed HMACs. One value keeps one token while its entry lives; an expired or erased
// entry is never read again, so the tokens that named it stay tokens for good (crypto-shredding).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../db/tenant-scope';
import { isStewardError, StewardError } from '../errors';
import { hashValue, hashValueAnyVersion } from '../pii/hash';
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
  /**
   * Many tokens at once (one query); tokens the vault never issued, or has shredded, are absent from the map. An
   * entry that does not open fails the call. `extendRetention`: the values go to a run (worker, typed client), so
   * their entries live on for the retention from now.
   */
  restore(tokens: readonly string[], options?: { extendRetention?: boolean }): Promise<Map<string, RestoredValue>>;
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
  /** How long an entry lives after its value was last tokenized, or restored for a run. */
  retentionDays: () => Promise<number>;
  /** How long this process remembers value↔token pairs and restored values; 0 asks the database every time. A
   *  remembered token is checked to be live whenever it is handed out again; a restored value erased by another
   *  process is still shown here for at most this long. */
  cacheTtlMs?: number;
}

export const DEFAULT_CACHE_TTL_MS = 30_000;
const CACHE_MAX_ENTRIES = 10_000;
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

interface LiveEntry {
  token: string;
  type: string;
  key_id: string;
  sealed: Buffer;
}
const SELECT_LIVE_ENTRIES = `SELECT token, type, key_id, sealed FROM pii_vault WHERE token = ANY($1::text[]) AND expires_at > now()`;
// Restoring values for a run renews their entries to the retention from now, so retention counts from last use,
// but only once a tenth of it has passed since the last renewal (2.4 hours at one day): a value decoded by every
// activity and replay costs a few row writes a day, not one per decode, and a value in use keeps at least nine
// tenths of its retention ahead (renewing at half would let a run idle 13 hours lose a one-day policy's values).
const RENEW_BELOW = 0.9;
// Only rows still live are written: an expired row the purge has yet to delete stays expired, and a row an
// erasure deleted is gone for good (an UPDATE never creates a row).
const RENEW_ENTRIES = `UPDATE pii_vault SET expires_at = now() + make_interval(days => $2)
  WHERE token = ANY($1::text[]) AND expires_at > now() AND expires_at < now() + make_interval(days => $2) * $3`;

const pairKey = (type: PiiType, value: string) => `${type}\u0000${value}`;
const rowKey = (type: PiiType, hmac: Buffer) => `${type}\u0000${hmac.toString('hex')}`;

/** A value to tokenize: its loader key, its value HMAC, and the token this process handed out for it before, if it
 *  still remembers one. */
interface Pair {
  key: string;
  type: PiiType;
  value: string;
  hmac: Buffer;
  remembered: string | undefined;
}

export function createPiiVault(options: PiiVaultOptions): PiiVault {
  const { pool, keyring, hmacKey } = options;
  const tenant = keyring.tenant;
  const valueHmac = (type: PiiType, value: string) => createHmac('sha256', hmacKey).update(pairKey(type, value)).digest();
  const listKey = createHmac('sha256', hmacKey).update('steward/pii-codec/token-list').digest();
  const tagOf = (list: string, data: Uint8Array) => createHmac('sha256', listKey).update(list).update('\u0000').update(data).digest();

  const scope = <T>(work: (db: PoolClient) => Promise<T>) => withTenant(pool, tenant, work);

  async function tokenizeBatch(keys: readonly string[]): Promise<string[]> {
    const pairs: Pair[] = [...new Set(keys)].map((key) => {
      const at = key.indexOf('\u0000');
      const [type, value] = [key.slice(0, at), key.slice(at + 1)];
      return { key, type, value, hmac: valueHmac(type, value), remembered: tokenMemory?.get(key) };
    });
    const tokenOf = await writeEntries(pairs.filter((pair) => pair.remembered === undefined), pairs.flatMap((pair) => pair.remembered ?? []));
    // A remembered token whose entry is gone (erased or expired, perhaps by another process) is never handed out
    // again: a payload holding it could never be restored. Its value is tokenized afresh.
    const gone = pairs.filter((pair) => !tokenOf.has(rowKey(pair.type, pair.hmac)));
    if (gone.length > 0) for (const [key, token] of await writeEntries(gone, [])) tokenOf.set(key, token);
    const byKey = new Map(pairs.map((pair) => [pair.key, tokenOf.get(rowKey(pair.type, pair.hmac))]));
    return keys.map((key) => {
      const token = byKey.get(key);
      if (token === undefined) throw new StewardError('TOKENIZER_FAILED', 'pii vault: the database returned no token for a value');
      tokenMemory?.set(key, token);
      return token;
    });
  }

  /**
   * One round trip: writes entries for `fresh` pairs and reads which `remembered` tokens are still live; returns
   * the token of each, by type and value HMAC. A remembered entry needs no renewal here: it was written (and its
   * expiry pushed to the retention from then) when this process learned it, at most the cache TTL ago.
   */
  async function writeEntries(fresh: readonly Pair[], remembered: readonly string[]): Promise<Map<string, string>> {
    const days = await options.retentionDays();
    const rows = await Promise.all(
      fresh.map(async ({ type, value, hmac }) => {
        const id = randomBytes(12).toString('base64url');
        const { keyId, sealed } = await keyring.seal(new TextEncoder().encode(value), aadOf(tenant, type, id));
        return { id, type, hmac, subject: hashValue(type, value, hmacKey), keyId, sealed: Buffer.from(sealed) };
      }),
    );
    const rememberedIds = remembered.flatMap((marker) => parseTokenMarker(marker)?.id ?? []);
    // A live entry keeps its token and lives on; an expired one that was not purged yet is replaced whole, so a
    // value seen again never brings an old token (and the histories holding it) back to life.
    const result = await scope((db) =>
      db.query<{ type: string; value_hmac: Buffer; token: string }>(
        `WITH written AS (
           INSERT INTO pii_vault (tenant_id, token, type, value_hmac, subject_hash, key_id, sealed, expires_at)
           SELECT $1, token, type, value_hmac, subject_hash, key_id, sealed, now() + make_interval(days => $8)
           FROM unnest($2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::bytea[])
             AS given(token, type, value_hmac, subject_hash, key_id, sealed)
           ON CONFLICT (tenant_id, type, value_hmac) DO UPDATE SET
             token      = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.token ELSE EXCLUDED.token END,
             key_id     = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.key_id ELSE EXCLUDED.key_id END,
             sealed     = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.sealed ELSE EXCLUDED.sealed END,
             created_at = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.created_at ELSE now() END,
             expires_at = GREATEST(CASE WHEN pii_vault.expires_at > now() THEN pii_vault.expires_at END, EXCLUDED.expires_at)
           RETURNING type, value_hmac, token
         )
         SELECT type, value_hmac, token FROM written
         UNION ALL
         SELECT type, value_hmac, token FROM pii_vault WHERE token = ANY($9::text[]) AND expires_at > now()`,
        [tenant, rows.map((r) => r.id), rows.map((r) => r.type), rows.map((r) => r.hmac), rows.map((r) => r.subject), rows.map((r) => r.keyId), rows.map((r) => r.sealed), days, rememberedIds],
      ),
    );
    return new Map(result.rows.map((row) => [rowKey(row.type, row.value_hmac), formatTokenMarker(row.type, row.token)]));
  }

  async function restoreBatch(markers: readonly string[], extendRetention: boolean): Promise<Array<RestoredValue | Error | undefined>> {
    const parsed = markers.map(parseTokenMarker);
    const ids = [...new Set(parsed.flatMap((p) => (p ? [p.id] : [])))];
    if (ids.length === 0) return markers.map(() => undefined);
    // Read before the transaction: the retention lookup takes a connection of its own from the same pool.
    const days = extendRetention ? await options.retentionDays() : undefined;
    const result = await scope((db) =>
      days === undefined
        ? db.query<LiveEntry>(SELECT_LIVE_ENTRIES, [ids])
        : db.query<LiveEntry>(`WITH renewed AS (${RENEW_ENTRIES}) ${SELECT_LIVE_ENTRIES}`, [ids, days, RENEW_BELOW]),
    );
    const found = new Map(result.rows.map((row) => [row.token, row]));
    // Each token succeeds or fails alone: one broken row fails the payloads holding it, not every payload that
    // shared its batch (concurrent decodes of other runs are batched together).
    return Promise.all(
      parsed.map(async (marker) => {
        const row = marker && found.get(marker.id);
        if (!marker || !row || row.type !== marker.type) return undefined;
        try {
          const plain = await keyring.open({ keyId: row.key_id, sealed: new Uint8Array(row.sealed) }, aadOf(tenant, row.type, row.token));
          return { type: row.type, value: new TextDecoder().decode(plain) };
        } catch (cause) {
          const broken = isStewardError(cause, 'INPUT_INVALID') || isStewardError(cause, 'NOT_FOUND');
          if (!broken && cause instanceof Error) return cause; // the keyring briefly away (Vault): a later decode tries again
          return new StewardError('TOKENIZER_FAILED', `pii vault: the entry of a ${row.type} token does not open (tampered, or sealed for another tenant)`, { cause });
        }
      }),
    );
  }

  const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const tokenMemory = ttl > 0 ? new LRUCache<string, string>({ max: CACHE_MAX_ENTRIES, ttl }) : undefined;
  const tokens = new DataLoader<string, string>(tokenizeBatch, { cache: false });
  const restoreLoader = (extendRetention: boolean) =>
    new DataLoader<string, RestoredValue | undefined>(
      (markers) => restoreBatch(markers, extendRetention),
      ttl > 0 ? { cacheMap: new LRUCache<string, Promise<RestoredValue | undefined>>({ max: CACHE_MAX_ENTRIES, ttl }) } : { cache: false },
    );
  const restored = restoreLoader(false);
  const restoredForRuns = restoreLoader(true);

  async function restore(markers: readonly string[], { extendRetention = false } = {}): Promise<Map<string, RestoredValue>> {
    const loader = extendRetention ? restoredForRuns : restored;
    const values = await loader.loadMany(markers);
    const map = new Map<string, RestoredValue>();
    let failure: Error | undefined;
    values.forEach((value, i) => {
      if (value instanceof Error) {
        loader.clear(markers[i]!); // a failure is not remembered: the next decode asks again
        failure ??= value;
      } else if (value !== undefined) map.set(markers[i]!, value);
    });
    if (failure) throw failure;
    return map;
  }

  return {
    tenant,
    tokenize: (type, value) => tokens.load(pairKey(type, value)),
    async detokenize(token) {
      return (await restore([token])).get(token)?.value;
    },
    restore,
    async erase(value) {
      const erased = await erasePii(pool, tenant, hmacKey, value);
      tokenMemory?.clear();
      restored.clearAll();
      restoredForRuns.clearAll();
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

/**
 * Deletes the tenant's expired vault entries (reads ignore them until then); run by the tenant's retention schedule
 * and `steward pii purge-expired`. Needs no key, so it can run anywhere.
 */
export async function purgeExpiredPii(pool: Pool, tenant: TenantId): Promise<number> {
  return withTenant(pool, tenant, async (db) => (await db.query('DELETE FROM pii_vault WHERE expires_at <= now()')).rowCount ?? 0);
}

/**
 * Deletes every entry of `value` in the tenant's vault, live or expired, whatever type it was detected as and
 * however it was spelled (the subject hash normalizes like keyed PII hashing does: phones to E.164, IP addresses to
 * canonical form). Needs the HMAC key, not the keyring.
 */
export async function erasePii(pool: Pool, tenant: TenantId, hmacKey: Uint8Array, value: string): Promise<{ count: number; types: PiiType[] }> {
  const erased = await withTenant(pool, tenant, async (db) => {
    const types = (await db.query<{ type: string }>('SELECT DISTINCT type FROM pii_vault')).rows.map((row) => row.type);
    const subjects = types.flatMap((type) => hashValueAnyVersion(type, value, hmacKey));
    return (await db.query<{ type: string }>('DELETE FROM pii_vault WHERE subject_hash = ANY($1::text[]) RETURNING type', [subjects])).rows;
  });
  return { count: erased.length, types: [...new Set(erased.map((row) => row.type))].sort() };
}

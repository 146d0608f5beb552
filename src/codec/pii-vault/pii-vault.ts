// The PII vault: a tenant's tokenized values in Postgres (`pii_vault`), each sealed under its data subject's own key
// (kept in Vault, see pii-subject-keys.ts) and found again only through keyed HMACs. One value keeps one token while
// its entry lives; erasing a subject, or purging its last entry, destroys its key, so what a backup kept of its
// entries can no longer be opened (crypto-shredding). Entries sealed with the tenant keyring before still open.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../../db/tenant-scope';
import { isStewardError, StewardError } from '../../errors';
import { hashValue, hashValueAnyVersion } from '../../pii/hash';
import { formatTokenMarker } from '../../pii/markers';
import type { Tokenizer } from '../../pii/tokenizer';
import type { PiiType } from '../../pii/types';
import type { TenantId } from '../../tenancy/tenant-id';
import type { TenantKeyring } from '../keys/keyring';
import { createPiiSubjectKeys, type PiiSubjectKeys } from './pii-subject-keys';
import { RETIRED_PREFIX, rotateKeysOfExpiredSpellings } from './subject-key-rotation';
import type { SubjectKeyVault } from './subject-key-vault';

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
  /** Removes every entry of `value`, whatever its type and spelling, and destroys its subjects' keys; returns how
   *  many entries, of which types, and how many keys. */
  erase(value: string): Promise<ErasedPii>;
  /** Deletes the entries past their expiry and destroys the keys of subjects left with none; returns how many entries. */
  purgeExpired(): Promise<number>;
  /** A MAC under the tenant's key over a payload's token list and data: only lists this tenant wrote are honoured. */
  tagTokenList(list: string, data: Uint8Array): string;
  checkTokenListTag(list: string, data: Uint8Array, tag: string): boolean;
}

export interface ErasedPii {
  count: number;
  types: PiiType[];
  /** Subject keys destroyed in Vault. */
  keys: number;
}

export interface PiiVaultOptions {
  /** The application role's pool: every query runs bound to the keyring's tenant. */
  pool: Pool;
  /** Opens entries sealed before subject keys (key_id names a keyring key). */
  keyring: TenantKeyring;
  /** The tenant's subject keys in Vault: new entries are sealed under them. */
  subjectKeyVault: SubjectKeyVault;
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
  subject_key_id: string | null;
  sealed: Buffer;
}
const SELECT_LIVE_ENTRIES = `SELECT token, type, key_id, subject_key_id, sealed FROM pii_vault WHERE token = ANY($1::text[]) AND expires_at > now()`;
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

// A value whose subject key was destroyed under it (an erasure or purge elsewhere) is sealed again under a new key:
// a few attempts, a little apart, outlast the transaction that destroys the key.
const WRITE_ATTEMPTS = 4;
const RETRY_DELAY_MS = 25;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createPiiVault(options: PiiVaultOptions): PiiVault {
  const { pool, keyring, hmacKey, subjectKeyVault } = options;
  const tenant = keyring.tenant;
  if (subjectKeyVault.tenant !== tenant) throw new TypeError('createPiiVault: the subject key vault and the keyring belong to different tenants');
  const subjectKeys: PiiSubjectKeys = createPiiSubjectKeys({ pool, vault: subjectKeyVault });
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
    // again: a payload holding it could never be restored. Its value is tokenized afresh, as is one whose key was
    // destroyed while it was being written.
    let gone = pairs.filter((pair) => !tokenOf.has(rowKey(pair.type, pair.hmac)));
    for (let attempt = 1; gone.length > 0 && attempt <= WRITE_ATTEMPTS; attempt++) {
      if (attempt > 1) await pause(RETRY_DELAY_MS * attempt);
      for (const [key, token] of await writeEntries(gone, [])) tokenOf.set(key, token);
      gone = gone.filter((pair) => !tokenOf.has(rowKey(pair.type, pair.hmac)));
    }
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
   * expiry pushed to the retention from then) when this process learned it, at most the cache TTL ago. A fresh
   * pair whose subject key is being destroyed is left out (the caller tries again).
   */
  async function writeEntries(fresh: readonly Pair[], remembered: readonly string[]): Promise<Map<string, string>> {
    const days = await options.retentionDays();
    const subjects = fresh.map(({ type, value }) => hashValue(type, value, hmacKey));
    const keys = fresh.length > 0 ? await subjectKeys.keysFor(subjects) : new Map();
    const rows = fresh.flatMap(({ type, value, hmac }, i) => {
      const key = keys.get(subjects[i]!);
      if (!key) return [];
      const id = randomBytes(12).toString('base64url');
      const sealed = subjectKeys.seal(key, new TextEncoder().encode(value), aadOf(tenant, type, id));
      return [{ id, type, hmac, subject: subjects[i]!, keyId: key.keyId, sealed }];
    });
    const rememberedIds = remembered.flatMap((marker) => parseTokenMarker(marker)?.id ?? []);
    // A live entry keeps its token and lives on; an expired one that was not purged yet is replaced whole, so a
    // value seen again never brings an old token (and the histories holding it) back to life. An entry is written
    // only while its subject key is still named for its subject, and that name stays share-locked until the write
    // commits: an erasure, purge or key rotation (which lock the name for update before destroying or retiring the
    // key) either sees the entry and deletes or re-seals it, or the entry is not written and its value is sealed
    // again under the subject's current key.
    const result = await scope((db) =>
      db.query<{ type: string; value_hmac: Buffer; token: string }>(
        `WITH given AS (
           SELECT g.token, g.type, g.value_hmac, g.subject_hash, g.key_id, g.sealed
           FROM unnest($2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::bytea[])
             AS g(token, type, value_hmac, subject_hash, key_id, sealed)
           JOIN pii_subject_keys named ON named.key_id = g.key_id AND named.subject_hash = g.subject_hash
           FOR SHARE OF named
         ), written AS (
           INSERT INTO pii_vault (tenant_id, token, type, value_hmac, subject_hash, key_id, subject_key_id, sealed, expires_at)
           SELECT $1, token, type, value_hmac, subject_hash, key_id, key_id, sealed, now() + make_interval(days => $8)
           FROM given
           ON CONFLICT (tenant_id, type, value_hmac) DO UPDATE SET
             token      = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.token ELSE EXCLUDED.token END,
             key_id     = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.key_id ELSE EXCLUDED.key_id END,
             subject_key_id = CASE WHEN pii_vault.expires_at > now() THEN pii_vault.subject_key_id ELSE EXCLUDED.subject_key_id END,
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
    const tokenOf = new Map(result.rows.map((row) => [rowKey(row.type, row.value_hmac), formatTokenMarker(row.type, row.token)]));
    subjectKeys.forget(rows.filter((row) => !tokenOf.has(rowKey(row.type, row.hmac))).map((row) => row.keyId));
    return tokenOf;
  }

  /** An entry's value, or undefined when its subject key was destroyed; old entries open with the keyring. */
  async function openEntry(row: LiveEntry): Promise<Uint8Array | undefined> {
    const aad = aadOf(tenant, row.type, row.token);
    if (row.subject_key_id === null) return keyring.open({ keyId: row.key_id, sealed: new Uint8Array(row.sealed) }, aad);
    const key = await subjectKeys.keyById(row.subject_key_id);
    return key && subjectKeys.open(row.subject_key_id, key, row.sealed, aad);
  }

  /** Like openEntry, but a row read just before a key rotation committed, whose old key the purge has destroyed
   *  since, is read again and opened under its new key: a live value never fails to restore for a rotation. */
  async function openLiveEntry(row: LiveEntry): Promise<Uint8Array | undefined> {
    const plain = await openEntry(row);
    if (plain !== undefined || row.subject_key_id === null) return plain;
    const again = (await scope((db) => db.query<LiveEntry>(SELECT_LIVE_ENTRIES, [[row.token]]))).rows[0];
    return again && again.subject_key_id !== row.subject_key_id ? openEntry(again) : undefined;
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
          const plain = await openLiveEntry(row);
          // The subject key is gone: the entry was shredded, and its deletion has yet to commit.
          if (plain === undefined) return undefined;
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
      const { keyIds, ...erased } = await eraseSubjects(pool, subjectKeyVault, hmacKey, value);
      subjectKeys.forget(keyIds);
      tokenMemory?.clear();
      restored.clearAll();
      restoredForRuns.clearAll();
      return { ...erased, keys: keyIds.length };
    },
    purgeExpired: () => purgeExpiredPii(pool, subjectKeyVault),
    tagTokenList: (list, data) => tagOf(list, data).toString('base64url'),
    checkTokenListTag(list, data, tag) {
      const given = Buffer.from(tag, 'base64url');
      const expected = tagOf(list, data);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * Deletes the tenant's expired vault entries (reads ignore them until then), then destroys the keys of subjects left
 * with no entry at all; a subject with live entries beside expired ones gets a new key first (subject-key-rotation.ts).
 * Run by the tenant's retention schedule and `steward pii purge-expired`. Needs no keyring.
 */
export async function purgeExpiredPii(pool: Pool, vault: SubjectKeyVault): Promise<number> {
  const tenant = vault.tenant;
  // An expired spelling of a subject that lives on must not stay openable with the key its live entries keep.
  let purged = 0;
  for (;;) {
    const rotated = await rotateKeysOfExpiredSpellings(pool, vault, (type, token) => aadOf(tenant, type, token));
    purged += rotated.entries;
    if (rotated.keys === 0) break;
  }
  purged += await withTenant(pool, tenant, async (db) => (await db.query('DELETE FROM pii_vault WHERE expires_at <= now()')).rowCount ?? 0);
  while ((await shredUnusedKeys(pool, vault)) === SHRED_BATCH);
  return purged;
}

const SHRED_BATCH = 100;
// A key made moments ago may not have sealed its first entry yet; destroying it would be safe (that write would
// seal again) but wasted. A retired key never seals again and goes at once.
const UNUSED_KEY_GRACE = '1 minute';

/** Destroys up to a batch of subject keys that seal no entry; returns how many it looked at. */
async function shredUnusedKeys(pool: Pool, vault: SubjectKeyVault): Promise<number> {
  return withTenant(pool, vault.tenant, async (db) => {
    const { rows } = await db.query<{ key_id: string }>(
      `SELECT key_id FROM pii_subject_keys named
       WHERE (created_at < now() - $1::interval OR starts_with(subject_hash, $3))
         AND NOT EXISTS (SELECT 1 FROM pii_vault WHERE subject_key_id = named.key_id)
       ORDER BY key_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [UNUSED_KEY_GRACE, SHRED_BATCH, RETIRED_PREFIX],
    );
    const locked = rows.map((row) => row.key_id);
    if (locked.length === 0) return 0;
    // Asked again under the lock, in a new snapshot: an entry whose write committed while the lock was awaited
    // keeps its key.
    const used = await db.query<{ subject_key_id: string }>(`SELECT DISTINCT subject_key_id FROM pii_vault WHERE subject_key_id = ANY($1::text[])`, [locked]);
    const inUse = new Set(used.rows.map((row) => row.subject_key_id));
    await destroyKeys(db, vault, locked.filter((keyId) => !inUse.has(keyId)));
    return locked.length;
  });
}

/** Destroys keys in Vault, then their names: a failure in Vault rolls the whole transaction back. */
async function destroyKeys(db: PoolClient, vault: SubjectKeyVault, keyIds: readonly string[]): Promise<void> {
  for (const keyId of keyIds) await vault.destroy(keyId);
  if (keyIds.length > 0) await db.query('DELETE FROM pii_subject_keys WHERE key_id = ANY($1::text[])', [keyIds]);
}

/**
 * Deletes every entry of `value` in the tenant's vault, live or expired, whatever type it was detected as and
 * however it was spelled (the subject hash normalizes like keyed PII hashing does: phones to E.164, IP addresses to
 * canonical form), and destroys the keys of those subjects in Vault. Needs the HMAC key, not the keyring.
 */
export async function erasePii(pool: Pool, vault: SubjectKeyVault, hmacKey: Uint8Array, value: string): Promise<ErasedPii> {
  const { keyIds, ...erased } = await eraseSubjects(pool, vault, hmacKey, value);
  return { ...erased, keys: keyIds.length };
}

async function eraseSubjects(pool: Pool, vault: SubjectKeyVault, hmacKey: Uint8Array, value: string): Promise<{ count: number; types: PiiType[]; keyIds: string[] }> {
  const { rows, keyIds } = await withTenant(pool, vault.tenant, async (db) => {
    const types = (await db.query<{ type: string }>('SELECT DISTINCT type FROM pii_vault')).rows.map((row) => row.type);
    const subjects = types.flatMap((type) => hashValueAnyVersion(type, value, hmacKey));
    // Names are locked before entries are deleted: a write sealing under one of these keys either committed before
    // (and its entry is deleted below, in a later snapshot) or waits and then finds the key gone. A key a concurrent
    // write named meanwhile shows up in the next pass; the passes end when no new name appears.
    const keyIds: string[] = [];
    const rows: Array<{ type: string }> = [];
    for (;;) {
      const named = await db.query<{ key_id: string }>(
        'SELECT key_id FROM pii_subject_keys WHERE subject_hash = ANY($1::text[]) AND NOT key_id = ANY($2::text[]) ORDER BY key_id FOR UPDATE',
        [subjects, keyIds],
      );
      keyIds.push(...named.rows.map((row) => row.key_id));
      const deleted = await db.query<{ type: string }>('DELETE FROM pii_vault WHERE subject_hash = ANY($1::text[]) OR subject_key_id = ANY($2::text[]) RETURNING type', [subjects, keyIds]);
      rows.push(...deleted.rows);
      if (named.rows.length === 0) break;
    }
    await destroyKeys(db, vault, keyIds);
    return { rows, keyIds };
  });
  return { count: rows.length, types: [...new Set(rows.map((row) => row.type))].sort(), keyIds };
}

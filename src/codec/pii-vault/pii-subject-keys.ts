// One tenant's PII subject keys as the vault uses them: a data key per data subject (subject_hash), its material in
// Vault (subject-key-vault.ts) and its name in pii_subject_keys, kept briefly in this process. Entries are sealed
// with AES-256-GCM bound to the tenant, the key id and the entry, as the tenant keyring binds its own.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import { withTenant } from '../../db/tenant-scope';
import { StewardError } from '../../errors';
import type { SubjectKeyVault } from './subject-key-vault';

export interface SubjectKey {
  keyId: string;
  key: KeyObject;
}

export interface PiiSubjectKeys {
  /** The key of each subject hash; a subject without one gets a new key, made in Vault and then named here. A subject
   *  whose key is being destroyed at this moment is left out of the map. */
  keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>>;
  /** A key by id, or undefined once it was destroyed. */
  keyById(keyId: string): Promise<KeyObject | undefined>;
  /** Forgets keys a write found destroyed (by an erasure or purge elsewhere), so the next use asks again. */
  forget(keyIds: Iterable<string>): void;
  seal(key: SubjectKey, plaintext: Uint8Array, aad: string): Buffer;
  /** Throws INPUT_INVALID when the bytes do not authenticate. */
  open(keyId: string, key: KeyObject, sealed: Uint8Array, aad: string): Buffer;
}

export interface PiiSubjectKeysOptions {
  pool: Pool;
  vault: SubjectKeyVault;
  /** How long this process keeps a key; after an erasure elsewhere, key material lives on in memory at most this long. */
  cacheTtlMs?: number;
}

export const SUBJECT_KEY_CACHE_TTL_MS = 30_000;
const CACHE_MAX_KEYS = 10_000;
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createPiiSubjectKeys(options: PiiSubjectKeysOptions): PiiSubjectKeys {
  const { pool, vault } = options;
  const tenant = vault.tenant;
  const ttl = options.cacheTtlMs ?? SUBJECT_KEY_CACHE_TTL_MS;
  const byId = new LRUCache<string, Promise<KeyObject | undefined>>({ max: CACHE_MAX_KEYS, ttl });
  const bySubject = new LRUCache<string, string>({ max: CACHE_MAX_KEYS, ttl });
  const additionalData = (keyId: string, aad: string) => Buffer.from(`steward:${tenant}:${keyId}:${aad}`, 'utf8');

  const keyById = (keyId: string): Promise<KeyObject | undefined> => {
    const known = byId.get(keyId);
    if (known) return known;
    const loading = vault.read(keyId).then((bytes) => (bytes ? toKey(bytes) : undefined));
    byId.set(keyId, loading);
    // A failed read (Vault briefly away) is not kept; neither is "destroyed", which a later write must not trust.
    loading.then(
      (key) => key === undefined && byId.get(keyId) === loading && byId.delete(keyId),
      () => byId.get(keyId) === loading && byId.delete(keyId),
    );
    return loading;
  };

  /** Names new keys for subjects that have none; a subject another process named first keeps that one. */
  async function createKeys(subjects: readonly string[]): Promise<Map<string, string>> {
    const made = await Promise.all(
      subjects.map(async (subject) => {
        const keyId = randomUUID();
        const bytes = await vault.create(keyId);
        byId.set(keyId, Promise.resolve(toKey(bytes)));
        return { subject, keyId };
      }),
    );
    const named = await withTenant(pool, tenant, (db) =>
      db.query<{ subject_hash: string; key_id: string }>(
        `INSERT INTO pii_subject_keys (tenant_id, key_id, subject_hash)
         SELECT $1, key_id, subject_hash FROM unnest($2::text[], $3::text[]) AS given(key_id, subject_hash)
         ON CONFLICT (tenant_id, subject_hash) DO NOTHING
         RETURNING subject_hash, key_id`,
        [tenant, made.map((m) => m.keyId), made.map((m) => m.subject)],
      ),
    );
    const won = new Map(named.rows.map((row) => [row.subject_hash, row.key_id]));
    // A key that lost the race sealed nothing: it is destroyed at once rather than left in Vault (should Vault fail
    // now, it stays there sealing nothing, and tokenizing goes on).
    const lost = made.filter((m) => won.get(m.subject) !== m.keyId);
    for (const { keyId } of lost) byId.delete(keyId);
    await Promise.all(lost.map((m) => vault.destroy(m.keyId).catch(() => undefined)));
    return won;
  }

  async function keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const wanted = [...new Set(subjects)];
    const ids = new Map<string, string>();
    for (const subject of wanted) {
      const keyId = bySubject.get(subject);
      if (keyId !== undefined) ids.set(subject, keyId);
    }
    const unknown = wanted.filter((subject) => !ids.has(subject));
    if (unknown.length > 0) {
      const { rows } = await withTenant(pool, tenant, (db) =>
        db.query<{ subject_hash: string; key_id: string }>(`SELECT subject_hash, key_id FROM pii_subject_keys WHERE subject_hash = ANY($1::text[])`, [unknown]),
      );
      for (const row of rows) ids.set(row.subject_hash, row.key_id);
      const missing = unknown.filter((subject) => !ids.has(subject));
      if (missing.length > 0) for (const [subject, keyId] of await createKeys(missing)) ids.set(subject, keyId);
    }
    const keys = new Map<string, SubjectKey>();
    await Promise.all(
      wanted.map(async (subject) => {
        const keyId = ids.get(subject);
        const key = keyId === undefined ? undefined : await keyById(keyId);
        // Named here but gone from Vault: an erasure or purge destroyed it and has yet to commit. Left out: the
        // caller asks again once that transaction has removed the name.
        if (keyId === undefined || key === undefined) return;
        bySubject.set(subject, keyId);
        keys.set(subject, { keyId, key });
      }),
    );
    return keys;
  }

  return {
    keysFor,
    keyById,
    forget(keyIds) {
      const gone = new Set(keyIds);
      for (const keyId of gone) byId.delete(keyId);
      for (const [subject, keyId] of bySubject.entries()) if (gone.has(keyId)) bySubject.delete(subject);
    },
    seal({ keyId, key }, plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(keyId, aad));
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(keyId, key, sealed, aad) {
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new StewardError('INPUT_INVALID', `a PII entry of tenant ${tenant} under key ${keyId} is truncated`);
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv(CIPHER, key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(keyId, aad));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      } catch (error) {
        throw new StewardError('INPUT_INVALID', `a PII entry of tenant ${tenant} under key ${keyId} does not authenticate: tampered, or sealed for another tenant or entry`, { cause: error });
      }
    },
  };
}

function toKey(bytes: Buffer): KeyObject {
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return key;
}

/**
 * Destroys every subject key of a tenant that is being deleted, before its partitions are dropped: a database backup
 * taken earlier then holds entries no key opens. Read as the database owner, as tenant deletion runs. Returns how
 * many keys it destroyed; a Vault failure fails the deletion, which can be run again.
 */
export async function destroyTenantSubjectKeys(admin: Pool, vault: SubjectKeyVault): Promise<number> {
  const { rows } = await admin.query<{ key_id: string }>('SELECT key_id FROM pii_subject_keys WHERE tenant_id = $1', [vault.tenant]);
  await Promise.all(rows.map((row) => vault.destroy(row.key_id)));
  return rows.length;
}

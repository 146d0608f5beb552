// Expiry shreds an entry even while its data subject lives on. A subject's spellings share one key, so an expired
// spelling whose subject still has a live entry would stay openable, from a backup taken before, with the key the
// live entry keeps. Before the purge deletes such an entry, the subject's live entries are sealed again under a new
// key and the old key is retired: its name leaves the subject and seals nothing once the expired entries are gone,
// so the purge's key shredding destroys it in Vault like any unused key.
import { createSecretKey, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../../db/tenant-scope';
import { isStewardError } from '../../errors';
import { createPiiSubjectKeys, type PiiSubjectKeys } from './pii-subject-keys';
import type { SubjectKeyVault } from './subject-key-vault';

/** A retired key is named under `retired:<key id>`: no subject has that hash, so no write seals under it again. */
export const RETIRED_PREFIX = 'retired:';
const retiredSubjectHash = (keyId: string) => `${RETIRED_PREFIX}${keyId}`;

const ROTATION_BATCH = 100;

/** The AAD an entry is sealed with (the vault's own binding of tenant, type and token). */
type EntryAad = (type: string, token: string) => string;

/**
 * Gives a new key to every subject that has both expired and live entries under its key, re-sealing the live ones;
 * the expired ones are deleted with it. Returns how many keys it rotated and how many expired entries it deleted.
 */
export async function rotateKeysOfExpiredSpellings(pool: Pool, vault: SubjectKeyVault, aadOf: EntryAad): Promise<{ keys: number; entries: number }> {
  const keys = createPiiSubjectKeys({ pool, vault, cacheTtlMs: 0 });
  const { rows } = await withTenant(pool, vault.tenant, (db) =>
    db.query<{ subject_key_id: string }>(
      `SELECT DISTINCT expired.subject_key_id FROM pii_vault expired
       WHERE expired.expires_at <= now() AND expired.subject_key_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM pii_vault live WHERE live.subject_key_id = expired.subject_key_id AND live.expires_at > now())
       LIMIT $1`,
      [ROTATION_BATCH],
    ),
  );
  const rotated = { keys: 0, entries: 0 };
  for (const { subject_key_id: keyId } of rows) {
    // A live entry that does not open (tampered) keeps its subject's key as before: it must not stop every purge.
    const deleted = await withTenant(pool, vault.tenant, (db) => rotateKey(db, vault, keys, aadOf, keyId)).catch((error: unknown) => {
      if (isStewardError(error, 'INPUT_INVALID')) return undefined;
      throw error;
    });
    if (deleted === undefined) continue;
    rotated.keys++;
    rotated.entries += deleted;
  }
  return rotated;
}

/** Rotates one subject's key; returns how many expired entries it deleted, or undefined when there was nothing to do. */
async function rotateKey(db: PoolClient, vault: SubjectKeyVault, keys: PiiSubjectKeys, aadOf: EntryAad, oldKeyId: string): Promise<number | undefined> {
  // The name's lock keeps writers (who share-lock it) and erasures (who lock it for update) out until this commits.
  const named = await db.query<{ subject_hash: string }>('SELECT subject_hash FROM pii_subject_keys WHERE key_id = $1 FOR UPDATE', [oldKeyId]);
  const subject = named.rows[0]?.subject_hash;
  const oldKey = subject === undefined ? undefined : await keys.keyById(oldKeyId);
  // Erased (or already retired) meanwhile: nothing of it is left to re-seal.
  if (subject === undefined || oldKey === undefined || subject === retiredSubjectHash(oldKeyId)) return undefined;
  const live = await db.query<{ token: string; type: string; sealed: Buffer }>(
    'SELECT token, type, sealed FROM pii_vault WHERE subject_key_id = $1 AND expires_at > now() FOR UPDATE',
    [oldKeyId],
  );
  const newKeyId = randomUUID();
  const material = await vault.create(newKeyId);
  const next = { keyId: newKeyId, key: createSecretKey(material) };
  material.fill(0);
  try {
    await db.query('UPDATE pii_subject_keys SET subject_hash = $2 WHERE key_id = $1', [oldKeyId, retiredSubjectHash(oldKeyId)]);
    await db.query('INSERT INTO pii_subject_keys (tenant_id, key_id, subject_hash) VALUES ($1, $2, $3)', [vault.tenant, newKeyId, subject]);
    for (const entry of live.rows) {
      const aad = aadOf(entry.type, entry.token);
      const sealed = keys.seal(next, keys.open(oldKeyId, oldKey, entry.sealed, aad), aad);
      await db.query('UPDATE pii_vault SET key_id = $2, subject_key_id = $2, sealed = $3 WHERE token = $1', [entry.token, newKeyId, sealed]);
    }
    // What is left under the old key has expired: gone now, so nothing keeps the old key from being destroyed.
    return (await db.query('DELETE FROM pii_vault WHERE subject_key_id = $1', [oldKeyId])).rowCount ?? 0;
  } catch (error) {
    // The transaction rolls back; the new key sealed nothing that stays.
    await vault.destroy(newKeyId).catch(() => undefined);
    throw error;
  }
}

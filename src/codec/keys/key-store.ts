// The codec_keys table: each tenant's wrapped data keys, one of them active. Every query runs bound to one tenant
// (row-level security), so a key id of another tenant is simply not found.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { withTenant } from '../../db/tenant-scope';
import type { TenantId } from '../../tenancy/tenant-id';
import type { KeyInfo } from './keyring';

export interface StoredKey {
  keyId: string;
  /** The data key wrapped by the tenant's Transit key. */
  wrapped: string;
}

/** Key ids travel in payload metadata in clear: random, so they say nothing but which key. */
export const KEY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Serialises key creation per tenant across processes: a worker and a client sealing their first payload at the
// same moment must agree on one key rather than have one of them fail on the one-active-key index.
const LOCK_NAMESPACE = 'steward-codec-keys:';

export async function findKey(pool: Pool, tenant: TenantId, keyId: string): Promise<StoredKey | undefined> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query<{ wrapped: string }>(`SELECT wrapped FROM codec_keys WHERE key_id = $1`, [keyId]);
    return rows[0] ? { keyId, wrapped: rows[0].wrapped } : undefined;
  });
}

export async function findActiveKey(pool: Pool, tenant: TenantId): Promise<StoredKey | undefined> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query<{ key_id: string; wrapped: string }>(`SELECT key_id, wrapped FROM codec_keys WHERE active`);
    return rows[0] ? { keyId: rows[0].key_id, wrapped: rows[0].wrapped } : undefined;
  });
}

/**
 * Stores a new active key made by `wrap` and retires the current one — or, with `onlyIfNone`, keeps the current
 * one when there is one (first use). Returns the key that is active afterwards.
 */
export async function storeActiveKey(
  pool: Pool,
  tenant: TenantId,
  wrap: () => Promise<string>,
  options: { onlyIfNone: boolean },
): Promise<StoredKey & { createdAt: Date }> {
  return withTenant(pool, tenant, async (db) => {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [LOCK_NAMESPACE + tenant]);
    if (options.onlyIfNone) {
      const { rows } = await db.query<{ key_id: string; wrapped: string; created_at: Date }>(
        `SELECT key_id, wrapped, created_at FROM codec_keys WHERE active`,
      );
      if (rows[0]) return { keyId: rows[0].key_id, wrapped: rows[0].wrapped, createdAt: rows[0].created_at };
    }
    const wrapped = await wrap();
    await db.query(`UPDATE codec_keys SET active = false, retired_at = now() WHERE active`);
    const { rows } = await db.query<{ key_id: string; created_at: Date }>(
      `INSERT INTO codec_keys (tenant_id, key_id, wrapped, active) VALUES ($1, $2, $3, true) RETURNING key_id, created_at`,
      [tenant, randomUUID(), wrapped],
    );
    const row = rows[0]!;
    return { keyId: row.key_id, wrapped, createdAt: row.created_at };
  });
}

export async function listKeys(pool: Pool, tenant: TenantId): Promise<KeyInfo[]> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query<{ key_id: string; created_at: Date; active: boolean }>(
      `SELECT key_id, created_at, active FROM codec_keys ORDER BY created_at, key_id`,
    );
    return rows.map((row) => ({ keyId: row.key_id, createdAt: row.created_at, active: row.active }));
  });
}

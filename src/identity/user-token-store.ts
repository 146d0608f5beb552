// The user's token, kept out of Temporal history: it is sealed with the tenant's key under a random handle, and
// the run carries only the handle. A row lives exactly as long as the token it holds; a handle of another tenant,
// an expired one or an unknown one all read as "no token".
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { TenantKeyring } from '../codec/keyring';
import { withTenant } from '../db/tenant-scope';
import type { Principal } from './principal';
import type { UserTokenHandle } from './user-token-handle';

export type { UserTokenHandle };

export interface StoredUserToken {
  subject: string;
  token: string;
  expiresAt: Date;
}

const HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The aad binds a sealed token to its tenant and handle, so a row copied elsewhere never opens. */
function aadOf(keyring: TenantKeyring, handle: string): string {
  return `steward/user-token/${keyring.tenant}/${handle}`;
}

/** Seals a verified user's token and returns its handle. */
export async function storeUserToken(pool: Pool, keyring: TenantKeyring, principal: Principal, token: string): Promise<UserTokenHandle> {
  const handle = randomUUID();
  const { keyId, sealed } = await keyring.seal(new TextEncoder().encode(token), aadOf(keyring, handle));
  await withTenant(pool, keyring.tenant, (db) =>
    db.query(
      `INSERT INTO user_tokens (tenant_id, handle, subject, key_id, sealed, expires_at) VALUES ($1, $2, $3, $4, $5, to_timestamp($6))`,
      [keyring.tenant, handle, principal.subject, keyId, Buffer.from(sealed), principal.expiresAt],
    ),
  );
  return { subject: principal.subject, handle };
}

/** The token behind a handle, or undefined when there is none (never stored, expired, or another tenant's). */
export async function loadUserToken(pool: Pool, keyring: TenantKeyring, handle: string): Promise<StoredUserToken | undefined> {
  if (!HANDLE.test(handle)) return undefined;
  const row = await withTenant(pool, keyring.tenant, async (db) => {
    const result = await db.query<{ subject: string; key_id: string; sealed: Buffer; expires_at: Date }>(
      `SELECT subject, key_id, sealed, expires_at FROM user_tokens WHERE handle = $1 AND expires_at > now()`,
      [handle],
    );
    return result.rows[0];
  });
  if (!row) return undefined;
  const plain = await keyring.open({ keyId: row.key_id, sealed: new Uint8Array(row.sealed) }, aadOf(keyring, handle));
  return { subject: row.subject, token: new TextDecoder().decode(plain), expiresAt: row.expires_at };
}

/** Drops rows whose token has expired; returns how many. */
export async function purgeExpiredUserTokens(pool: Pool, keyring: Pick<TenantKeyring, 'tenant'>): Promise<number> {
  return withTenant(pool, keyring.tenant, async (db) => (await db.query(`DELETE FROM user_tokens WHERE expires_at <= now()`)).rowCount ?? 0);
}

// The user's token, kept out of Temporal history: it is sealed with the tenant's key under a random handle, for the
// one run (workflow id) it was given to, and the run carries only the handle. A row lives exactly as long as the
// token it holds; a handle of another tenant, an expired one or an unknown one all read as "no token".
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { TenantKeyring } from '../codec/keys/keyring';
import { withTenant } from '../db/tenant-scope';
import type { Principal } from './principal';
import type { UserTokenHandle } from './user-token-handle';

export type { UserTokenHandle };

export interface StoredUserToken {
  subject: string;
  /** The workflow id of the run the token was sealed for: bound by the aad, so it cannot be edited in the row. */
  workflowId: string;
  token: string;
  expiresAt: Date;
}

export interface UserTokenSeal {
  principal: Principal;
  token: string;
  /** The run the token is for, chosen before sealing: no other run may use it. */
  workflowId: string;
}

const HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The aad binds a sealed token to its tenant, handle and run, so a row copied elsewhere (or re-pointed at another
 * run) never opens. Tenant ids hold no `/` and handles are UUIDs, so the workflow id, last, cannot be confused.
 */
function aadOf(keyring: TenantKeyring, handle: string, workflowId: string): string {
  return `steward/user-token/${keyring.tenant}/${handle}/${workflowId}`;
}

/** Seals a verified user's token for one run and returns its handle. */
export async function storeUserToken(pool: Pool, keyring: TenantKeyring, seal: UserTokenSeal): Promise<UserTokenHandle> {
  if (seal.workflowId === '') throw new TypeError('a user token is sealed for a run: the workflow id is empty');
  const handle = randomUUID();
  const { keyId, sealed } = await keyring.seal(new TextEncoder().encode(seal.token), aadOf(keyring, handle, seal.workflowId));
  await withTenant(pool, keyring.tenant, (db) =>
    db.query(
      `INSERT INTO user_tokens (tenant_id, handle, subject, workflow_id, key_id, sealed, expires_at) VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7))`,
      [keyring.tenant, handle, seal.principal.subject, seal.workflowId, keyId, Buffer.from(sealed), seal.principal.expiresAt],
    ),
  );
  return { subject: seal.principal.subject, handle };
}

/** The token behind a handle, or undefined when there is none (never stored, expired, or another tenant's). */
export async function loadUserToken(pool: Pool, keyring: TenantKeyring, handle: string): Promise<StoredUserToken | undefined> {
  if (!HANDLE.test(handle)) return undefined;
  const row = await withTenant(pool, keyring.tenant, async (db) => {
    const result = await db.query<{ subject: string; workflow_id: string; key_id: string; sealed: Buffer; expires_at: Date }>(
      `SELECT subject, workflow_id, key_id, sealed, expires_at FROM user_tokens WHERE handle = $1 AND expires_at > now()`,
      [handle],
    );
    return result.rows[0];
  });
  if (!row) return undefined;
  const plain = await keyring.open({ keyId: row.key_id, sealed: new Uint8Array(row.sealed) }, aadOf(keyring, handle, row.workflow_id));
  return { subject: row.subject, workflowId: row.workflow_id, token: new TextDecoder().decode(plain), expiresAt: row.expires_at };
}

/** Drops rows whose token has expired; returns how many. */
export async function purgeExpiredUserTokens(pool: Pool, keyring: Pick<TenantKeyring, 'tenant'>): Promise<number> {
  return withTenant(pool, keyring.tenant, async (db) => (await db.query(`DELETE FROM user_tokens WHERE expires_at <= now()`)).rowCount ?? 0);
}

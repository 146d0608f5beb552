// One approver token, one decision: the first verification of a token records its hash against the run and node
// it decided; every later presentation of the same token — in another run, at another node, or again at the same
// one — finds it spent. Only a SHA-256 of the token is stored.
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';

export interface TokenUse {
  token: string;
  workflowId: string;
  runId: string;
  nodeId: string;
  /** The verification spending it (run id and activity id), so that a retry of it is not taken for a reuse. */
  spentBy: string;
  subject: string;
  /** Seconds since the epoch: the token's own expiry, after which the row serves no purpose. */
  expiresAt: number;
}

export type SpendResult = { spent: true } | { spent: false; usedFor: { workflowId: string; nodeId: string } };

export function hashApprovalToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function spendApprovalToken(pool: Pool, tenant: TenantId, use: TokenUse): Promise<SpendResult> {
  const hash = hashApprovalToken(use.token);
  return withTenant(pool, tenant, async (db) => {
    await db.query(`DELETE FROM approval_token_uses WHERE expires_at < now() - interval '1 hour'`);
    const inserted = await db.query(
      `INSERT INTO approval_token_uses (tenant_id, token_hash, workflow_id, run_id, node_id, spent_by, subject, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8)) ON CONFLICT (tenant_id, token_hash) DO NOTHING`,
      [tenant, hash, use.workflowId, use.runId, use.nodeId, use.spentBy, use.subject, use.expiresAt],
    );
    if (inserted.rowCount === 1) return { spent: true };
    const existing = await db.query<{ workflow_id: string; node_id: string; spent_by: string }>(
      `SELECT workflow_id, node_id, spent_by FROM approval_token_uses WHERE token_hash = $1`,
      [hash],
    );
    const row = existing.rows[0];
    if (row && row.spent_by === use.spentBy) return { spent: true };
    return { spent: false, usedFor: { workflowId: row?.workflow_id ?? '', nodeId: row?.node_id ?? '' } };
  });
}

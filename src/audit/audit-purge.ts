// Purges a tenant's audit entries past their retention and keeps the chain verifiable: a marker signed by the
// tenant's Vault key records up to which entry (and that entry's hash) the trail was purged, so the verifier starts
// the chain there; an unsigned or missing marker still reads as deletion. The marker, the deletion and the
// `audit.purged` entry (counts only, never contents) commit together. steward_app cannot delete entries itself: the
// deletion runs through steward_purge_audit_events(), which deletes nothing beyond a recorded marker.
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';
import { appendToChain, readyForChain } from './audit-log';
import { purgeMarkerMessage } from './chain-hash';
import type { CheckpointSigner } from './checkpoint-signer';

export interface AuditPurge {
  /** Rows deleted: chained entries, and unchained ones from before the chain began. */
  entries: number;
  /** The newest purged entry, which the marker records; absent when nothing was old enough. */
  throughSeq?: number;
}

/** The newest entry that is, with every entry before it, older than `olderThan`; undefined when that is none left. */
async function findPurgeBound(db: PoolClient, olderThan: Date): Promise<{ seq: number; hash: string } | undefined> {
  const result = await db.query<{ seq: string; hash: string }>(
    `SELECT e.seq, e.hash FROM audit_events e
     WHERE e.seq = coalesce((SELECT min(seq) FROM audit_events WHERE seq IS NOT NULL AND created_at >= $1) - 1,
                            (SELECT max(seq) FROM audit_events))`,
    [olderThan],
  );
  const row = result.rows[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

export async function purgeAuditEntries(
  pool: Pool,
  signer: CheckpointSigner,
  tenant: TenantId,
  olderThan: Date,
  by: { agentId: string },
): Promise<AuditPurge> {
  const bound = await withTenant(pool, tenant, (db) => findPurgeBound(db, olderThan));
  if (!bound) return { entries: 0 };
  // Signed before the transaction: it holds the chain head's lock, which no Vault round trip should lengthen.
  const signature = await signer.sign(tenant, purgeMarkerMessage(tenant, bound.seq, bound.hash));
  const entries = await withTenant(pool, tenant, async (db) => {
    await db.query(`INSERT INTO audit_purge_markers (tenant_id, seq, hash, key_version, signature) VALUES ($1, $2, $3, $4, $5)`, [
      tenant,
      bound.seq,
      bound.hash,
      signature.keyVersion,
      signature.signature,
    ]);
    const deleted = await db.query<{ count: string }>('SELECT steward_purge_audit_events($1, $2) AS count', [bound.seq, olderThan]);
    const count = Number(deleted.rows[0]?.count ?? 0);
    const payload = { entries: count, through_seq: bound.seq, older_than: olderThan.toISOString() };
    await appendToChain(db, tenant, [readyForChain({ type: 'audit.purged', agentId: by.agentId, payload })]);
    return count;
  });
  return { entries, throughSeq: bound.seq };
}

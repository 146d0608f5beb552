// Verifies a tenant's stored trail against its Vault public keys and, when the trail is intact, signs a checkpoint
// at its newest entry so that what was verified today stays provable even to someone who later rewrites the table.
import type { Pool } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';
import { readTrail, saveCheckpoint, type TrailSnapshot } from './audit-trail';
import { checkpointMessage } from './chain-hash';
import { verifyChain, type VerifyReport } from './chain-verify';
import type { CheckpointSigner } from './checkpoint-signer';

export interface TrailVerification extends VerifyReport {
  /** Unchained rows written before the chain began: not verifiable, not tampering. */
  legacyEntries: number;
  /** The sequence number a new checkpoint was signed at, if one was. */
  checkpointedAt?: number;
}

export async function verifyStoredTrail(pool: Pool, signer: CheckpointSigner, tenant: TenantId): Promise<{ report: TrailVerification; snapshot: TrailSnapshot }> {
  const [snapshot, keys] = await Promise.all([readTrail(pool, tenant), signer.publicKeys(tenant)]);
  const verdict = verifyChain({
    tenant,
    entries: snapshot.entries,
    checkpoints: snapshot.checkpoints,
    publicKey: (version) => keys.get(version),
    complete: true,
    head: snapshot.head,
    strayIds: snapshot.strayIds,
    purgeMarkers: snapshot.purgeMarkers,
  });
  const report: TrailVerification = { ...verdict, legacyEntries: snapshot.legacyCount };
  const signed = snapshot.checkpoints.some((checkpoint) => checkpoint.seq === verdict.lastSeq);
  if (verdict.intact && snapshot.entries.length > 0 && !signed) {
    const signature = await signer.sign(tenant, checkpointMessage(tenant, verdict.lastSeq, verdict.lastHash));
    const checkpoint = { seq: verdict.lastSeq, hash: verdict.lastHash, ...signature };
    await saveCheckpoint(pool, tenant, checkpoint);
    snapshot.checkpoints.push(checkpoint);
    report.checkpoints += 1;
    report.checkpointedAt = verdict.lastSeq;
  }
  return { report, snapshot };
}

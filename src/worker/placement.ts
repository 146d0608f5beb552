// Which replica serves which tenant, decided by every replica on its own from the same list of live replicas:
// rendezvous (highest-random-weight) hashing gives each tenant to the sharing replica whose hash with it is highest.
// Every replica computes the same owner, a replica that joins takes about 1/N of the tenants from the others, and one
// that leaves hands only its own tenants on, spread over the rest.
import { createHash } from 'node:crypto';
import type { TenantId } from '../tenancy/tenant-id';

export interface LiveReplica {
  id: string;
  /** The tenants a dedicated replica serves; absent for a replica that shares the rest. */
  pinned?: TenantId[];
}

function weight(tenant: TenantId, replica: string): bigint {
  return createHash('sha256').update(tenant).update('\0').update(replica).digest().readBigUInt64BE(0);
}

/** The sharing replica that serves this tenant, or undefined when no replica shares. */
export function ownerOf(tenant: TenantId, sharers: readonly string[]): string | undefined {
  let owner: string | undefined;
  let best = -1n;
  for (const replica of sharers) {
    const w = weight(tenant, replica);
    // Ties (practically never) go to the smaller id, so every replica still picks the same owner.
    if (w > best || (w === best && owner !== undefined && replica < owner)) [owner, best] = [replica, w];
  }
  return owner;
}

/**
 * The tenants a sharing replica serves: those no live dedicated replica has pinned and whose owner it is. The replica
 * counts itself live even before its own heartbeat shows up in the list.
 */
export function shareOf(self: string, tenants: readonly TenantId[], live: readonly LiveReplica[]): TenantId[] {
  const pinned = new Set(live.filter((replica) => replica.id !== self).flatMap((replica) => replica.pinned ?? []));
  const sharers = [...new Set([self, ...live.filter((replica) => !replica.pinned).map((replica) => replica.id)])];
  return tenants.filter((tenant) => !pinned.has(tenant) && ownerOf(tenant, sharers) === self);
}

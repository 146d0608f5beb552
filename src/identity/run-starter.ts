// Who started a run, as far as Steward can prove it: the subject of the user token sealed for this run (or for
// the root of its tree), opened with the tenant's key. What a run's start arguments merely claim (`user.subject`
// in a raw `temporal workflow start`) proves nothing, so a claim whose sealed token does not match is no starter.
import type { Pool } from 'pg';
import type { TenantKeyring } from '../codec/keys/keyring';
import { findRecordedStarters } from '../runs/run-records';
import type { TenantId } from '../tenancy/tenant-id';
import { isSealedForRun, type RunPlace } from './user-token-binding';
import type { UserTokenHandle } from './user-token-handle';
import { loadUserToken } from './user-token-store';

/** The verified subject behind the handle a run was started with, or undefined when nothing proves one. */
export async function verifyRunStarter(pool: Pool, keyring: TenantKeyring | undefined, user: UserTokenHandle | undefined, place: RunPlace): Promise<string | undefined> {
  if (!user || !keyring || typeof user.handle !== 'string') return undefined;
  const stored = await loadUserToken(pool, keyring, user.handle);
  if (!stored || stored.subject !== user.subject || !isSealedForRun(stored.workflowId, place)) return undefined;
  return stored.subject;
}

/**
 * The verified starters of a run and of its root: a child run acts for its root's starter, who may not approve
 * it either. Empty when no one is known to have started them.
 */
export async function findRunStarters(pool: Pool, tenant: TenantId, place: RunPlace): Promise<string[]> {
  const ids = [place.workflowId, ...(place.rootWorkflowId && place.rootWorkflowId !== place.workflowId ? [place.rootWorkflowId] : [])];
  return findRecordedStarters(pool, tenant, ids);
}

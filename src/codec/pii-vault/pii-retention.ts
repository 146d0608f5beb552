// How long a tenant's PII vault entries live. The codec sees payloads, not runs (a client starting a run, a query
// or the codec server carry no run to look up), so it applies one retention per tenant: the longest
// `retention_days` any of the tenant's registered definitions declares, counted from a value's last use (tokenized,
// or restored for a run; see pii-vault.ts): a run that keeps using its values keeps them, however long it lasts.
import type { Pool } from 'pg';
import { findLongestRetentionDays } from '../../definitions/registry';
import { DataPolicy } from '../../pii/policy';
import type { TenantId } from '../../tenancy/tenant-id';

const DEFAULT_RETENTION_DAYS = DataPolicy.parse({}).retention_days;
const REFRESH_MS = 60_000;

/** The tenant's retention in days, read again at most once a minute (definitions are registered while workers run). */
export function createPolicyRetention(pool: Pool, tenant: TenantId): () => Promise<number> {
  let cached: { days: number; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < REFRESH_MS) return cached.days;
    const days = (await findLongestRetentionDays(pool, tenant)) ?? DEFAULT_RETENTION_DAYS;
    cached = { days, at: Date.now() };
    return days;
  };
}

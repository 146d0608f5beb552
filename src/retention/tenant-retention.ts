// How long a tenant keeps its audit entries and LLM ledger rows before its retention schedule purges them. The
// tenant's `retention` setting names a duration per kind (`steward tenant retention`); a kind it leaves out is kept
// for the longest `retention_days` any of the tenant's definitions declares (30 days when none does), as for the
// PII vault. User tokens need no setting: they go when they expire.
import type { Pool } from 'pg';
import { findLongestRetentionDays } from '../definitions/registry';
import { parseDuration } from '../ir/duration';
import { DataPolicy } from '../pii/policy';
import type { TenantId } from '../tenancy/tenant-id';
import { readTenantSettings, writeTenantSetting } from '../tenancy/tenant-settings';
import { RetentionSettings, type RetainedKind } from './retention-settings';

export type { RetainedKind } from './retention-settings';

const DAY_MS = 86_400_000;
const DEFAULT_RETENTION_DAYS = DataPolicy.parse({}).retention_days;

/** Each kind's retention in milliseconds; settings that do not parse fall back to the definitions' retention. */
export async function loadTenantRetention(pool: Pool, tenant: TenantId): Promise<Record<RetainedKind, number>> {
  const settings = (await readTenantSettings(pool, tenant)).retention ?? {};
  const fallback = ((await findLongestRetentionDays(pool, tenant)) ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  const of = (kind: RetainedKind) => {
    const set = settings[kind];
    return set === undefined ? fallback : parseDuration(set);
  };
  return { audit_events: of('audit_events'), llm_ledger: of('llm_ledger') };
}

/** Sets (or, with null, removes) the retention of some kinds (operator connection); every duration is checked first. */
export async function setTenantRetention(admin: Pool, tenant: TenantId, changes: Partial<Record<RetainedKind, string | null>>): Promise<void> {
  await writeTenantSetting(admin, tenant, 'retention', (current) => {
    const next: RetentionSettings = { ...current };
    for (const [kind, value] of Object.entries(changes) as Array<[RetainedKind, string | null]>) {
      if (value === null) delete next[kind];
      else next[kind] = value;
    }
    return next;
  });
}

/** The tenant's `retention` setting as stored (operator connection). */
export async function readTenantRetentionSettings(admin: Pool, tenant: TenantId): Promise<RetentionSettings> {
  return (await readTenantSettings(admin, tenant)).retention ?? {};
}

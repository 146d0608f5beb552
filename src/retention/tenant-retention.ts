// How long a tenant keeps its audit entries and LLM ledger rows before its retention schedule purges them. The
// tenant's `retention` setting names a duration per kind (`steward tenant retention`); a kind it leaves out is kept
// for the longest `retention_days` any of the tenant's definitions declares (30 days when none does), as for the
// PII vault. User tokens need no setting: they go when they expire.
import type { Pool } from 'pg';
import { z } from 'zod';
import { withTenant } from '../db/tenant-scope';
import { StewardError } from '../errors';
import { isDuration, parseDuration } from '../ir/duration';
import { DataPolicy } from '../pii/policy';
import type { TenantId } from '../tenancy/tenant-id';

const DAY_MS = 86_400_000;
/** Shorter retention would purge what a run that is still going has just written. */
const MIN_RETENTION_MS = 60_000;
const DEFAULT_RETENTION_DAYS = DataPolicy.parse({}).retention_days;

export const RETAINED_KINDS = ['audit_events', 'llm_ledger'] as const;
export type RetainedKind = (typeof RETAINED_KINDS)[number];

const RetentionDuration = z
  .string()
  .refine(isDuration, 'a duration such as 1m, 12h or 90d')
  .refine((text) => !isDuration(text) || parseDuration(text) >= MIN_RETENTION_MS, 'at least 1m');

export const RetentionSettings = z.strictObject({ audit_events: RetentionDuration.optional(), llm_ledger: RetentionDuration.optional() });
export type RetentionSettings = z.infer<typeof RetentionSettings>;

/** Each kind's retention in milliseconds; settings that do not parse fall back to the definitions' retention. */
export async function loadTenantRetention(pool: Pool, tenant: TenantId): Promise<Record<RetainedKind, number>> {
  const row = await withTenant(pool, tenant, async (db) =>
    (
      await db.query<{ retention: unknown; days: number | null }>(
        `SELECT (SELECT settings -> 'retention' FROM tenants WHERE id = $1) AS retention,
                (SELECT max((definition->'data_policy'->>'retention_days')::int) FROM definitions) AS days`,
        [tenant],
      )
    ).rows[0],
  );
  const parsed = RetentionSettings.safeParse(row?.retention ?? {});
  const settings = parsed.success ? parsed.data : {};
  const fallback = (row?.days ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  const of = (kind: RetainedKind) => {
    const set = settings[kind];
    return set === undefined ? fallback : parseDuration(set);
  };
  return { audit_events: of('audit_events'), llm_ledger: of('llm_ledger') };
}

/** Sets (or, with null, removes) the retention of some kinds (operator connection); every duration is checked first. */
export async function setTenantRetention(admin: Pool, tenant: TenantId, changes: Partial<Record<RetainedKind, string | null>>): Promise<void> {
  const parsed = RetentionSettings.safeParse(Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null)));
  if (!parsed.success) {
    throw new StewardError('INPUT_INVALID', parsed.error.issues.map((issue) => `retention.${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  const removed = Object.entries(changes).filter(([, value]) => value === null).map(([kind]) => kind);
  await admin.query(
    `UPDATE tenants SET settings = jsonb_set(settings, '{retention}', (coalesce(settings -> 'retention', '{}') - $3::text[]) || $2::jsonb), updated_at = now()
     WHERE id = $1`,
    [tenant, JSON.stringify(parsed.data), removed],
  );
}

/** The tenant's `retention` setting as stored (operator connection). */
export async function readTenantRetentionSettings(admin: Pool, tenant: TenantId): Promise<RetentionSettings> {
  const result = await admin.query<{ retention: unknown }>(`SELECT settings -> 'retention' AS retention FROM tenants WHERE id = $1`, [tenant]);
  const parsed = RetentionSettings.safeParse(result.rows[0]?.retention ?? {});
  return parsed.success ? parsed.data : {};
}

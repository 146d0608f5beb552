// The `settings` column of the tenant registry: one JSON object of sections (`pii`, `retention`, `egress`,
// `federation`), each used by its own module and all validated by one schema here. Nothing else reads or writes the column.
import type { Pool } from 'pg';
import { z } from 'zod';
import { formatZodIssues } from '../common/zod-issues';
import { withTenant } from '../db/tenant-scope';
import { inTransaction } from '../db/transaction';
import { EgressSettings } from '../egress/address-policy';
import { StewardError } from '../errors';
import { FederationSettings } from '../federation/federation-settings';
import { TenantPiiSettings } from '../pii/policy';
import { RetentionSettings } from '../retention/retention-settings';
import type { TenantId } from './tenant-id';

export const TenantSettings = z.object({
  pii: TenantPiiSettings.optional(),
  retention: RetentionSettings.optional(),
  egress: EgressSettings.optional(),
  federation: FederationSettings.optional(),
});
export type TenantSettings = z.infer<typeof TenantSettings>;
export type TenantSettingsSection = keyof TenantSettings;

const SECTIONS = Object.keys(TenantSettings.shape) as TenantSettingsSection[];

/** A section's new value from its current one (undefined when unset); undefined removes the section. */
export type SettingChange<S extends TenantSettingsSection> = TenantSettings[S] | undefined | ((current: TenantSettings[S] | undefined) => TenantSettings[S] | undefined);

/**
 * The tenant's settings, read in a transaction bound to the tenant: the application role sees its own tenant's
 * registry row and no other. Each section is parsed on its own, and one that no longer parses is left out, so
 * its module applies its own fallback without losing the others.
 */
export async function readTenantSettings(pool: Pool, tenant: TenantId): Promise<TenantSettings> {
  const result = await withTenant(pool, tenant, (db) => db.query<{ settings: unknown }>('SELECT settings FROM tenants WHERE id = $1', [tenant]));
  return parseSections(result.rows[0]?.settings);
}

/**
 * Sets one section (operator connection: the application role cannot change the registry), or removes it with
 * undefined. A function receives the current section, under a row lock, so a change merges with what is stored.
 * The new section is checked first (`egress.allow[3]: …`); false when the tenant does not exist or is deleted.
 */
export async function writeTenantSetting<S extends TenantSettingsSection>(admin: Pool, tenant: TenantId, section: S, change: SettingChange<S>): Promise<boolean> {
  return inTransaction(admin, async (db) => {
    const row = await db.query<{ settings: unknown }>(`SELECT settings FROM tenants WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, [tenant]);
    if (!row.rows[0]) return false;
    const next = typeof change === 'function' ? change(parseSections(row.rows[0].settings)[section]) : change;
    if (next === undefined) {
      await db.query('UPDATE tenants SET settings = settings - $2::text, updated_at = now() WHERE id = $1', [tenant, section]);
      return true;
    }
    const parsed = TenantSettings.shape[section].safeParse(next);
    if (!parsed.success) throw new StewardError('INPUT_INVALID', formatZodIssues(parsed.error, { prefix: section }));
    await db.query('UPDATE tenants SET settings = jsonb_set(settings, ARRAY[$2::text], $3::jsonb), updated_at = now() WHERE id = $1', [
      tenant,
      section,
      JSON.stringify(parsed.data),
    ]);
    return true;
  });
}

function parseSections(stored: unknown): TenantSettings {
  const settings: Record<string, unknown> = {};
  if (typeof stored !== 'object' || stored === null) return settings;
  for (const section of SECTIONS) {
    const parsed = TenantSettings.shape[section].safeParse((stored as Record<string, unknown>)[section]);
    if (parsed.success && parsed.data !== undefined) settings[section] = parsed.data;
  }
  return settings as TenantSettings;
}

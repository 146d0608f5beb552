// A tenant's default phone regions: `settings.pii.phone_regions` in the registry, the regions national phone numbers
// (written without a country code) are checked against in every definition of the tenant that names none of its own.
// Unset, the wide default applies.
import type { Pool } from 'pg';
import { formatZodIssues } from '../common/zod-issues';
import { StewardError } from '../errors';
import { TenantPiiSettings, type DataPolicy } from '../pii/policy';
import type { TenantId } from './tenant-id';
import { readTenantSettings, writeTenantSetting } from './tenant-settings';

const TenantPhoneRegions = TenantPiiSettings.shape.phone_regions.unwrap();

/**
 * The tenant's phone regions, or undefined for the wide default. A stored value that no longer parses gives the
 * wide default, which finds more, never less.
 */
export async function loadTenantPhoneRegions(pool: Pool, tenant: TenantId): Promise<string[] | undefined> {
  return (await readTenantSettings(pool, tenant)).pii?.phone_regions;
}

/** Checks `regions` against libphonenumber's, naming each bad one (`pii.phone_regions[1]: "XX" is not …`). */
export function assertTenantPhoneRegions(regions: readonly string[]): string[] {
  const parsed = TenantPhoneRegions.safeParse(regions);
  if (parsed.success) return parsed.data;
  throw new StewardError('INPUT_INVALID', formatZodIssues(parsed.error, { prefix: 'pii.phone_regions' }));
}

/**
 * Sets the tenant's phone regions, or clears them with undefined (operator connection: the application role cannot
 * change the registry). Every region is checked first; false when the tenant does not exist.
 */
export async function setTenantPhoneRegions(admin: Pool, tenant: TenantId, regions: readonly string[] | undefined): Promise<boolean> {
  const checked = regions === undefined ? undefined : assertTenantPhoneRegions(regions);
  return writeTenantSetting(admin, tenant, 'pii', (current) => {
    const { phone_regions: _replaced, ...rest } = current ?? {};
    return checked === undefined ? rest : { ...rest, phone_regions: checked };
  });
}

/** `policy` with the tenant's regions when it names none of its own; a definition's own list always wins. */
export function withTenantPhoneRegions(policy: DataPolicy, tenantRegions: readonly string[] | undefined): DataPolicy {
  return policy.phone_regions !== undefined || tenantRegions === undefined ? policy : { ...policy, phone_regions: [...tenantRegions] };
}

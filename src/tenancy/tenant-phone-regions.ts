// A tenant's default phone regions: `settings.pii.phone_regions` in the registry, the regions national phone numbers
// (written without a country code) are checked against in every definition of the tenant that names none of its own.
// Unset, the wide default applies.
import type { Pool } from 'pg';
import { z } from 'zod';
import { withTenant } from '../db/tenant-scope';
import { StewardError } from '../errors';
import { PHONE_REGION_CODES } from '../pii/phone-region-codes';
import { PhoneRegion, type DataPolicy } from '../pii/policy';
import type { TenantId } from './tenant-id';

export const TenantPhoneRegions = z.array(PhoneRegion).min(1, 'name at least one region').max(PHONE_REGION_CODES.length);

/**
 * The tenant's phone regions, or undefined for the wide default. Read in a transaction bound to the tenant: the
 * application role sees its own tenant's registry row and no other. A stored value that no longer parses gives the
 * wide default, which finds more, never less.
 */
export async function loadTenantPhoneRegions(pool: Pool, tenant: TenantId): Promise<string[] | undefined> {
  const result = await withTenant(pool, tenant, (db) =>
    db.query<{ regions: unknown }>(`SELECT settings -> 'pii' -> 'phone_regions' AS regions FROM tenants WHERE id = $1`, [tenant]),
  );
  const regions = result.rows[0]?.regions;
  if (regions === null || regions === undefined) return undefined;
  const parsed = TenantPhoneRegions.safeParse(regions);
  return parsed.success ? parsed.data : undefined;
}

/** Checks `regions` against libphonenumber's, naming each bad one (`pii.phone_regions[1]: "XX" is not …`). */
export function assertTenantPhoneRegions(regions: readonly string[]): string[] {
  const parsed = TenantPhoneRegions.safeParse(regions);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `pii.phone_regions${issue.path.map((at) => `[${String(at)}]`).join('')}: ${issue.message}`);
  throw new StewardError('INPUT_INVALID', problems.join('; '));
}

/**
 * Sets the tenant's phone regions, or clears them with undefined (operator connection: the application role cannot
 * change the registry). Every region is checked first; false when the tenant does not exist.
 */
export async function setTenantPhoneRegions(admin: Pool, tenant: TenantId, regions: readonly string[] | undefined): Promise<boolean> {
  const result =
    regions === undefined
      ? await admin.query(`UPDATE tenants SET settings = settings #- '{pii,phone_regions}', updated_at = now() WHERE id = $1 AND status <> 'deleted'`, [tenant])
      : await admin.query(
          `UPDATE tenants SET settings = jsonb_set(settings, '{pii}', coalesce(settings -> 'pii', '{}') || jsonb_build_object('phone_regions', $2::jsonb)),
             updated_at = now()
           WHERE id = $1 AND status <> 'deleted'`,
          [tenant, JSON.stringify(assertTenantPhoneRegions(regions))],
        );
  return result.rowCount === 1;
}

/** `policy` with the tenant's regions when it names none of its own; a definition's own list always wins. */
export function withTenantPhoneRegions(policy: DataPolicy, tenantRegions: readonly string[] | undefined): DataPolicy {
  return policy.phone_regions !== undefined || tenantRegions === undefined ? policy : { ...policy, phone_regions: [...tenantRegions] };
}

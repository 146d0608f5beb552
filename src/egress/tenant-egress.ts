// A tenant's egress policy: its `settings.egress.allow` in the registry, plus the deployment's own allowances
// (STEWARD_EGRESS_ALLOW), read per call with a short cache so a change applies within seconds.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import { StewardError } from '../errors';
import type { TenantId } from '../tenancy/tenant-id';
import { EgressSettings, parseAllowList, type EgressPolicy, type ProtectedEndpoint } from './address-policy';
import { localAddresses } from './protected-endpoints';

export interface DeploymentEgress {
  /** Allowances for every tenant of this deployment (a dev stack's demo services). */
  allow: string[];
  /** Steward's own services, resolved once per process. */
  protectedEndpoints: () => Promise<ProtectedEndpoint[]>;
}

const CACHE_MS = 5_000;

export function createTenantEgressPolicy(pool: Pool, tenant: TenantId, deployment: DeploymentEgress): () => Promise<EgressPolicy> {
  let cached: { at: number; policy: EgressPolicy } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.policy;
    const allow = [...deployment.allow, ...(await loadTenantEgressAllow(pool, tenant))];
    const policy = { allow: parseAllowList(allow), protectedEndpoints: await deployment.protectedEndpoints(), localAddresses: localAddresses() };
    cached = { at: Date.now(), policy };
    return policy;
  };
}

/** The tenant's `egress.allow`; settings that do not parse allow nothing (the policy fails closed). */
export async function loadTenantEgressAllow(pool: Pool, tenant: TenantId): Promise<string[]> {
  // Bound to the tenant: the application role sees its own tenant's row of the registry and no other.
  const result = await withTenant(pool, tenant, (db) => db.query<{ egress: unknown }>(`SELECT settings -> 'egress' AS egress FROM tenants WHERE id = $1`, [tenant]));
  const parsed = EgressSettings.safeParse(result.rows[0]?.egress ?? {});
  return parsed.success ? parsed.data.allow : [];
}

/**
 * Sets the tenant's `egress.allow` (operator connection); every entry is checked first. With `onlyIfUnset`, a
 * tenant that already has an egress policy keeps it (seeding never widens or narrows what an operator chose).
 */
export async function setTenantEgressAllow(admin: Pool, tenant: TenantId, allow: string[], options: { onlyIfUnset?: boolean } = {}): Promise<void> {
  const parsed = EgressSettings.safeParse({ allow });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `egress.allow[${issue.path.slice(1).join('.')}]: ${issue.message}`);
    throw new StewardError('INPUT_INVALID', problems.join('; '));
  }
  await admin.query(
    `UPDATE tenants SET settings = jsonb_set(settings, '{egress}', $2::jsonb), updated_at = now()
     WHERE id = $1 AND NOT ($3 AND settings ? 'egress')`,
    [tenant, JSON.stringify(parsed.data), options.onlyIfUnset ?? false],
  );
}

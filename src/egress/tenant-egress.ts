// A tenant's egress policy: its `settings.egress.allow` in the registry, plus the deployment's own allowances
// (STEWARD_EGRESS_ALLOW), read per call with a short cache so a change applies within seconds.
import type { Pool } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';
import { readTenantSettings, writeTenantSetting } from '../tenancy/tenant-settings';
import { parseAllowList, type EgressPolicy, type ProtectedEndpoint } from './address-policy';
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
  return (await readTenantSettings(pool, tenant)).egress?.allow ?? [];
}

/**
 * Sets the tenant's `egress.allow` (operator connection); every entry is checked first. With `onlyIfUnset`, a
 * tenant that already has an egress policy keeps it (seeding never widens or narrows what an operator chose).
 */
export async function setTenantEgressAllow(admin: Pool, tenant: TenantId, allow: string[], options: { onlyIfUnset?: boolean } = {}): Promise<void> {
  await writeTenantSetting(admin, tenant, 'egress', (current) => (options.onlyIfUnset && current !== undefined ? current : { allow }));
}

// On the local stack, every tenant gets what the demo tenants have in Vault — a policy over its own prefix, an
// AppRole role and the demo secrets — so the examples, which name their secrets relative to the tenant
// (`vault:~/llm#openai`), run unchanged in a tenant created after the stack started.
import type { RuntimeConfig } from '../src/config/runtime';
import { readStackFile } from '../src/config/stack-file';
import { createPool } from '../src/db/pool';
import { setTenantEgressAllow } from '../src/egress/tenant-egress';
import type { TenantId } from '../src/tenancy/tenant-id';
import { isVaultHealthy, seedVault } from './vault';

export type LocalSeedOutcome = 'seeded' | 'no-local-stack';

/** Seeds the tenant in the local stack's Vault; does nothing where no local stack with a Vault runs (production). */
export async function seedLocalStackTenant(stateDir: string, tenant: string): Promise<LocalSeedOutcome> {
  const vault = readStackFile(stateDir)?.vault;
  if (!vault || !(await isVaultHealthy(vault.address))) return 'no-local-stack';
  await seedVault({ address: vault.address, rootToken: vault.root_token, tenants: [tenant] });
  return 'seeded';
}

/**
 * `steward tenant create` on the local stack: the new tenant gets the demo secrets and, like the demo tenants,
 * may reach the demo expenses API on loopback (unless an egress policy was already set). Answers whether a
 * local stack was there to seed.
 */
export async function seedCreatedTenant(tenant: TenantId, config: RuntimeConfig): Promise<boolean> {
  if ((await seedLocalStackTenant(config.env.STEWARD_STATE_DIR, tenant)) !== 'seeded') return false;
  const admin = createPool(config.databaseUrl, { max: 1 });
  await setTenantEgressAllow(admin, tenant, [`127.0.0.1:${config.env.STEWARD_EXPENSES_PORT}`], { onlyIfUnset: true }).finally(() => admin.end());
  return true;
}

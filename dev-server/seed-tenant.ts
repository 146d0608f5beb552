// On the local stack, every tenant gets what the demo tenants have in Vault — a policy over its own prefix, an
// AppRole role and the demo secrets — so the examples, which name their secrets relative to the tenant
// (`vault:~/llm#openai`), run unchanged in a tenant created after the stack started.
import { readStackFile } from '../src/config/stack-file';
import { isVaultHealthy, seedVault } from './vault';

export type LocalSeedOutcome = 'seeded' | 'no-local-stack';

/** Seeds the tenant in the local stack's Vault; does nothing where no local stack with a Vault runs (production). */
export async function seedLocalStackTenant(stateDir: string, tenant: string): Promise<LocalSeedOutcome> {
  const vault = readStackFile(stateDir)?.vault;
  if (!vault || !(await isVaultHealthy(vault.address))) return 'no-local-stack';
  await seedVault({ address: vault.address, rootToken: vault.root_token, tenants: [tenant] });
  return 'seeded';
}

// `steward keys rotate|list --tenant T`: a tenant's payload encryption keys. Prints key ids, dates and which one
// is active; key material stays wrapped by Vault Transit and never reaches the terminal.
import type { Command } from 'commander';
import { createKeyringFactory } from '../../codec/keys/keyring-factory';
import type { KeyInfo, ManagedTenantKeyring } from '../../codec/keys/keyring';
import { loadRuntimeConfig } from '../../config/runtime';
import { openAppPool } from '../../db/app-role';
import { assertTenantId } from '../../tenancy/tenant-id';
import { findTenant, tenantNotFound } from '../../tenancy/tenant-registry';

/** Opens the tenant's keyring through the application role, so row-level security applies as it does to runs. */
async function withKeyring<T>(tenantArgument: string, work: (keyring: ManagedTenantKeyring) => Promise<T>): Promise<T> {
  const tenant = assertTenantId(tenantArgument);
  const config = loadRuntimeConfig();
  const pool = await openAppPool(config.appDatabaseUrl, { max: 2 });
  try {
    if (!(await findTenant(pool, tenant))) throw tenantNotFound(tenant);
    const keyrings = createKeyringFactory(config, pool);
    try {
      return await work(keyrings.keyringFor(tenant));
    } finally {
      keyrings.close();
    }
  } finally {
    await pool.end();
  }
}

const asJson = (key: KeyInfo) => ({ key_id: key.keyId, created_at: key.createdAt.toISOString(), active: key.active });

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description("a tenant's payload encryption keys (data keys wrapped by the tenant's Vault Transit key)");

  keys
    .command('rotate')
    .requiredOption('--tenant <id>', 'the tenant whose key is rotated')
    .option('--json', 'print one JSON object {key_id, created_at, active}')
    .description('make a new active key for new payloads; payloads sealed with older keys still decrypt')
    .action(async (options: { tenant: string; json?: boolean }) => {
      const key = await withKeyring(options.tenant, (keyring) => keyring.rotate());
      process.stdout.write(options.json ? `${JSON.stringify(asJson(key))}\n` : `${key.keyId}\n`);
    });

  keys
    .command('list')
    .requiredOption('--tenant <id>', 'the tenant whose keys are listed')
    .option('--json', 'print a JSON array of {key_id, created_at, active}')
    .description("list the tenant's keys, oldest first: ids, creation times and which is active (never key material)")
    .action(async (options: { tenant: string; json?: boolean }) => {
      const list = await withKeyring(options.tenant, (keyring) => keyring.listKeys());
      const lines = list.map((key) => `${key.keyId}\t${key.createdAt.toISOString()}\t${key.active ? 'active' : 'retired'}`);
      process.stdout.write(options.json ? `${JSON.stringify(list.map(asJson))}\n` : lines.length ? `${lines.join('\n')}\n` : 'no keys yet: the first payload creates one\n');
    });
}

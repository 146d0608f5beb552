// `steward keys rotate|list --tenant T`: a tenant's payload encryption keys. Prints key ids, dates and which one
// is active; key material stays wrapped by Vault Transit and never reaches the terminal.
import type { Command } from 'commander';
import type { KeyInfo, ManagedTenantKeyring } from '../../codec/keys/keyring';
import { loadRuntimeConfig } from '../../config/runtime';
import { StewardRuntime } from '../../runtime/steward-runtime';

/** Opens the tenant's keyring through the application role, so row-level security applies as it does to runs. */
async function withKeyring<T>(tenant: string, work: (keyring: ManagedTenantKeyring) => Promise<T>): Promise<T> {
  const runtime = await StewardRuntime.open(loadRuntimeConfig(), { poolSize: 2 });
  try {
    return await work((await runtime.forTenant(tenant)).keyring);
  } finally {
    await runtime.close();
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

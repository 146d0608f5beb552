// The `steward` of a source checkout: the shipped CLI plus the development commands (`steward dev …`,
// `steward dev token …`), and tenants created on the local stack seeded like its demo tenants.
import { main as stewardMain } from '../../src/cli/main';
import { seedCreatedTenant } from '../seed-tenant';
import { registerDevCommands } from './dev-commands';

export function main(argv: string[]): Promise<number> {
  return stewardMain(argv, { commands: [registerDevCommands], onTenantCreated: seedCreatedTenant });
}

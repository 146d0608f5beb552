// `steward worker`: the process that runs workflows and activities for the tenants it serves.
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createLogger } from '../../log/logger';
import { assertTenantId } from '../../tenancy/tenant-id';
import { runWorker } from '../../worker/run-worker';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker for every registered tenant, or a dedicated one for --tenant')
    .option('--tenant <id...>', 'serve only these tenants (a dedicated worker)')
    .option('--exclude-tenant <id...>', 'serve every tenant but these (they have dedicated workers)')
    .action(async (options: { tenant?: string[]; excludeTenant?: string[] }) => {
      const config = loadRuntimeConfig();
      await runWorker(
        config,
        { only: options.tenant?.map(assertTenantId), except: options.excludeTenant?.map(assertTenantId) },
        createLogger('steward-worker', config.env.STEWARD_LOG_LEVEL),
      );
    });
}

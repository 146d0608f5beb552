// `steward worker`: the process that runs workflows and activities for the tenants it serves.
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createLogger } from '../../log/logger';
import { assertTenantId } from '../../tenancy/tenant-id';
import { runWorker } from '../../worker/run-worker';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the given tenants (default: STEWARD_TENANTS)')
    .option('--tenant <id...>', 'serve only these tenants')
    .action(async (options: { tenant?: string[] }) => {
      const config = loadRuntimeConfig();
      const names = options.tenant ?? config.env.STEWARD_TENANTS.split(',').map((t) => t.trim()).filter(Boolean);
      await runWorker(config, names.map(assertTenantId), createLogger('steward-worker', config.env.STEWARD_LOG_LEVEL));
    });
}

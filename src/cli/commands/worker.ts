// `steward worker`: the process that runs workflows and activities for the tenants it serves.
import { InvalidArgumentError, type Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createLogger } from '../../log/logger';
import { assertTenantId } from '../../tenancy/tenant-id';
import { runWorker } from '../../worker/run-worker';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new InvalidArgumentError(`--health-port: expected a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker for every registered tenant, or a dedicated one for --tenant')
    .option('--tenant <id...>', 'serve only these tenants (a dedicated worker)')
    .option('--exclude-tenant <id...>', 'serve every tenant but these (they have dedicated workers)')
    .option('--health-port <port>', 'serve GET /healthz on this port (200 when every tenant is served, else 503) and GET /metrics (0: any free port)', parsePort)
    .option('--health-host <host>', 'the address the health endpoint binds to', '127.0.0.1')
    .action(async (options: { tenant?: string[]; excludeTenant?: string[]; healthPort?: number; healthHost: string }) => {
      const config = loadRuntimeConfig();
      await runWorker(
        config,
        { only: options.tenant?.map(assertTenantId), except: options.excludeTenant?.map(assertTenantId) },
        createLogger('steward-worker', config.env.STEWARD_LOG_LEVEL),
        { port: options.healthPort, host: options.healthHost },
      );
    });
}

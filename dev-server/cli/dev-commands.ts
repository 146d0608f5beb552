// `steward dev`: the local stack in the foreground (or detached), its status, and stopping it.
import type { Command } from 'commander';
import { loadStewardEnv } from '../../src/config/env';
import { EXIT_FAILURE } from '../../src/cli/errors';
import { isStackHealthy, stackStatus, startStack, stopStack, unmanagedWorkers, type StackStatus } from '../stack';
import { registerTokenCommands } from './token-commands';

const say = (line: string) => process.stderr.write(`steward dev: ${line}\n`);

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('run the local stack (Temporal, Postgres, Vault, Jaeger, STS, model server, a worker) on loopback');
  registerTokenCommands(dev);

  dev
    .command('start', { isDefault: true })
    .description('start the stack and stay in the foreground until Ctrl-C (or --detach)')
    .option('--detach', 'start in the background and return')
    .action(async (options: { detach?: boolean }) => {
      const env = loadStewardEnv();
      const { started } = await startStack({ env, withWorker: true, seedTenants: ['demo'], log: say });
      const status = await stackStatus(env);
      if (status) printStatus(status);
      if (options.detach) return;
      say('running; press Ctrl-C to stop what this command started');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const stopped = await stopStack(env, started);
      say(`stopped ${stopped.join(', ') || 'nothing'}`);
    });

  dev
    .command('stop')
    .description('stop every part of the stack that Steward started')
    .action(async () => {
      const env = loadStewardEnv();
      const stopped = await stopStack(env);
      say(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      const others = unmanagedWorkers(env);
      if (others.length > 0) say(`left running: worker pid ${others.join(', ')}, not started by the stack (stop it where it was started)`);
    });

  dev
    .command('status')
    .description('report each part and its addresses; exit 0 only when all are healthy')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const status = await stackStatus(loadStewardEnv());
      if (options.json) process.stdout.write(JSON.stringify(status ?? {}, null, 2) + '\n');
      else if (status) printStatus(status);
      else say('no local stack here (start one with `steward dev --detach`)');
      if (!status || !isStackHealthy(status)) process.exitCode = EXIT_FAILURE;
    });
}

function describeWorker(worker: StackStatus['worker']): string {
  const active = worker.active !== undefined ? ` (${worker.active} active, the rest idle)` : '';
  const served = worker.expected !== undefined ? `  serving ${worker.serving}/${worker.expected} tenants${active}` : '';
  const down = Object.entries(worker.tenants ?? {})
    .filter(([, tenant]) => tenant.state === 'not_serving')
    .map(([id, tenant]) => `${id}${tenant.last_error ? ` (${tenant.last_error})` : ''}`);
  const others = worker.others.length > 0 ? `  (not managed by the stack: worker pid ${worker.others.join(', ')})` : '';
  return `${served}${down.length > 0 ? `, not serving: ${down.join(', ')}` : ''}${others}`;
}

function printStatus(status: StackStatus): void {
  const mark = (healthy: boolean) => (healthy ? 'healthy  ' : 'UNHEALTHY');
  const lines = [
    `temporal   ${mark(status.temporal.healthy)} ${status.temporal.address}  Web UI ${status.temporal.ui}`,
    `postgres   ${mark(status.postgres.healthy)} ${status.postgres.url}`,
    `worker     ${mark(status.worker.healthy)} pid ${status.worker.pid ?? '-'}${describeWorker(status.worker)}`,
    `vault      ${mark(status.vault.healthy)} ${status.vault.address}`,
    `jaeger     ${mark(status.jaeger.healthy)} ${status.jaeger.ui}  OTLP ${status.jaeger.otlp_endpoint}`,
    `sts        ${mark(status.sts.healthy)} ${status.sts.issuer}`,
    `llm        ${mark(status.llm.healthy)} ${status.llm.base_url}`,
    `expenses   ${mark(status.expenses_api.healthy)} ${status.expenses_api.url} (demo API)`,
    `approvals  ${mark(status.approvals_gateway.healthy)} ${status.approvals_gateway.url}`,
    `codec      ${mark(status.codec_server.healthy)} ${status.codec_server.url} (development mode: masked views)`,
    `federation ${mark(status.federation_server.healthy)} ${status.federation_server.url} (A2A over mutual TLS)`,
    `logs       ${status.logs_dir}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

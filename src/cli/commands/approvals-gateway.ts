// `steward approvals-gateway`: serves the HTTP approvals endpoint until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createApprovalsGateway } from '../../servers/approvals-gateway';

export function registerApprovalsGatewayCommand(program: Command): void {
  program
    .command('approvals-gateway')
    .description('serve POST /v1/tenants/:tenant/runs/:run/approvals for internal tools')
    .option('--port <port>', 'port on 127.0.0.1', '4020')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { port: string; host: string }) => {
      const app = createApprovalsGateway(loadRuntimeConfig());
      // A refusal to start (the database role) must not leave the pool holding the process open.
      await app.listen({ port: Number(options.port), host: options.host }).catch(async (error: unknown) => {
        await app.close();
        throw error;
      });
      process.stderr.write(`steward approvals-gateway: listening on http://${options.host}:${options.port}\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await app.close();
    });
}

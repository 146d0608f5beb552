// Standalone entry the dev stack spawns: `node dist/dev-server/expenses-api/main.js --port N --issuer URL`.
import { parseArgs } from 'node:util';
import { startExpensesApi } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, issuer: { type: 'string' } }, strict: true });
  const port = Number(values.port);
  if (!values.issuer || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('expenses api: --issuer URL is required and --port must be a port number\n');
    process.exit(2);
  }
  const api = await startExpensesApi({ port, issuer: values.issuer });
  process.stdout.write(`${JSON.stringify({ expenses_api: api.url })}\n`);
  const shutdown = () => void api.stop().then(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`expenses api: ${(error as Error).message}\n`);
  process.exit(1);
});

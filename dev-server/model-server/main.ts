// Standalone entry the dev stack spawns: `node dist/dev-server/model-server/main.js --port N [--api-key K ...]`.
// Keys come from --api-key flags, else STEWARD_MODEL_SERVER_API_KEYS (comma-separated), else the dev key below.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEV_MODEL_SERVER_KEY, startModelServer } from './server';
import { formatZodIssues } from '../../src/common/zod-issues';

const Options = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  apiKeys: z.array(z.string().min(1)).min(1),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, 'api-key': { type: 'string', multiple: true } },
    strict: true,
  });
  const fromEnv = (process.env.STEWARD_MODEL_SERVER_API_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  const flags = values['api-key'] ?? [];
  const parsed = Options.safeParse({
    port: values.port,
    apiKeys: flags.length > 0 ? flags : fromEnv.length > 0 ? fromEnv : [DEV_MODEL_SERVER_KEY],
  });
  if (!parsed.success) {
    process.stderr.write(`model server: ${formatZodIssues(parsed.error)}\n`);
    process.exit(2);
  }
  const server = await startModelServer(parsed.data);
  process.stdout.write(`${JSON.stringify({ model_server: server.baseUrl, openai_base_url: server.openaiBaseUrl })}\n`);
  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`model server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

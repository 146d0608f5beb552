// Brings the real local stack up once per test run (or reuses a running one), and gives the run a fresh database.
import { resolve } from 'node:path';
import { loadStewardEnv } from '../../src/config/env';
import { createPool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';
import { ensureDatabase } from '../../dev-server/postgres';
import { startStack } from '../../dev-server/stack';

// The test stack has its own state folder and ports, so it never collides with a developer's running dev stack.
// The ports sit below Linux's ephemeral range (32768 and up): an outgoing connection never takes one of them
// while the part that owns it is restarting.
// Any of these set in the environment wins (e.g. to run the suite against a stack that is already up).
const TEST_STACK_DEFAULTS: Record<string, string> = {
  STEWARD_STATE_DIR: resolve('.steward-test'),
  STEWARD_TEMPORAL_PORT: '31233',
  STEWARD_TEMPORAL_UI_PORT: '31234',
  STEWARD_POSTGRES_PORT: '31432',
  STEWARD_VAULT_PORT: '31200',
  STEWARD_STS_PORT: '31444',
  STEWARD_LLM_PORT: '31010',
  STEWARD_GATEWAY_PORT: '31020',
  STEWARD_EXPENSES_PORT: '31030',
  STEWARD_CODEC_PORT: '31040',
  STEWARD_FEDERATION_PORT: '31050',
  STEWARD_JAEGER_UI_PORT: '31686',
  STEWARD_OTLP_PORT: '31318',
  STEWARD_OTLP_GRPC_PORT: '31317',
};

export default async function globalSetup(): Promise<void> {
  for (const [name, value] of Object.entries(TEST_STACK_DEFAULTS)) process.env[name] ??= value;
  const env = loadStewardEnv();
  const { stack, started } = await startStack({ env, withWorker: false, log: (line) => process.stderr.write(`[test stack] ${line}\n`) });
  const database = `steward_test_${Date.now().toString(36)}`;
  await ensureDatabase(stack.postgres.url, database);
  const url = new URL(stack.postgres.url);
  url.pathname = `/${database}`;
  const pool = createPool(url.toString(), { max: 1 });
  await migrate(pool).finally(() => pool.end());
  // Jest's test processes inherit this environment.
  process.env.DATABASE_URL = url.toString();
  process.env.TEMPORAL_ADDRESS = stack.temporal.address;
  process.env.STEWARD_TEST_RUN_ID = Date.now().toString(36);
  process.env.STEWARD_TEST_STARTED_PARTS = started.join(',');
  process.env.STEWARD_TEST_DATABASE = database;
  process.env.STEWARD_TEST_SERVER_URL = stack.postgres.url;
}

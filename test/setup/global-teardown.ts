// Drops the run's databases and stops the parts of the stack that the setup started (none, if it reused one).
import { Client } from 'pg';
import { loadStewardEnv } from '../../src/config/env';
import { stopStack, type StackPart } from '../../dev-server/stack';
import { dropDatabases, scratchDatabasePrefix } from '../support/scratch-database';

export default async function globalTeardown(): Promise<void> {
  const database = process.env.STEWARD_TEST_DATABASE;
  const serverUrl = process.env.STEWARD_TEST_SERVER_URL;
  if (database && serverUrl && process.env.STEWARD_TEST_KEEP_DATABASE !== '1') {
    await dropDatabases(serverUrl, [database, ...(await scratchDatabasesOf(serverUrl, database))]);
  }
  const started = (process.env.STEWARD_TEST_STARTED_PARTS ?? '').split(',').filter(Boolean) as StackPart[];
  const env = { ...process.env };
  delete env.DATABASE_URL;
  // STEWARD_TEST_KEEP_STACK=1 leaves the test stack up, so the next run starts faster.
  if (started.length > 0 && process.env.STEWARD_TEST_KEEP_STACK !== '1') await stopStack(loadStewardEnv(env), started);
}

async function scratchDatabasesOf(serverUrl: string, database: string): Promise<string[]> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [scratchDatabasePrefix(database)]);
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

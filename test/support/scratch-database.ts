// A database of its own for a test that needs a registry nobody else writes to (e.g. a worker serving every tenant
// it lists). Named after the run's database, so the global teardown drops it even if the test did not.
import { Client } from 'pg';
import { ensureDatabase } from '../../dev-server/postgres';
import { createPool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';

export interface ScratchDatabase {
  /** The operator's URL of the migrated database (the application role's is derived from it, as for any database). */
  url: string;
  drop(): Promise<void>;
}

export function scratchDatabasePrefix(runDatabase: string): string {
  return `${runDatabase}_scratch_`;
}

export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const server = process.env.STEWARD_TEST_SERVER_URL;
  const runDatabase = process.env.STEWARD_TEST_DATABASE;
  if (!server || !runDatabase) throw new Error('a scratch database needs the test stack (jest global setup)');
  const name = `${scratchDatabasePrefix(runDatabase)}${label}`;
  await ensureDatabase(server, name);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), { max: 1 });
  await migrate(pool).finally(() => pool.end());
  return { url: url.toString(), drop: () => dropDatabases(server, [name]) };
}

/** Drops the named databases, closing whatever connections they still have. */
export async function dropDatabases(serverUrl: string, names: string[]): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

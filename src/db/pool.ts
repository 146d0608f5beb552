// Creates the Postgres connection pool. Every pool in the process goes through here.
import { Pool } from 'pg';

export function createPool(databaseUrl: string, options: { max?: number } = {}): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

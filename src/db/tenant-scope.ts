// The one way application code reaches tenant-scoped tables: a transaction bound to one tenant with
// `app.tenant_id`, which the tables' row-level security policies read.
import type { Pool, PoolClient } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';

export interface TenantTransactionOptions {
  /** One read-only snapshot for every statement: reads that must agree with each other (e.g. a chain and its head). */
  snapshot?: boolean;
}

export async function withTenant<T>(
  pool: Pool,
  tenant: TenantId,
  work: (db: PoolClient) => Promise<T>,
  options: TenantTransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  // The pool listens for errors of idle clients only: a connection that drops while checked out (the database went
  // away between two queries) would otherwise be an unhandled 'error' that ends the process.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query(options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    // A broken connection is destroyed, not handed to the next caller.
    client.release(broken);
  }
}

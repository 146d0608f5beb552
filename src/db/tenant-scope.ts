// The one way application code reaches tenant-scoped tables: a transaction bound to one tenant with
// `app.tenant_id`, which the tables' row-level security policies read.
import type { Pool, PoolClient } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';
import { inTransaction } from './transaction';

export interface TenantTransactionOptions {
  /** One read-only snapshot for every statement: reads that must agree with each other (e.g. a chain and its head). */
  snapshot?: boolean;
}

export function withTenant<T>(pool: Pool, tenant: TenantId, work: (db: PoolClient) => Promise<T>, options: TenantTransactionOptions = {}): Promise<T> {
  const begin = options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN';
  return inTransaction(
    pool,
    async (db) => {
      await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
      return work(db);
    },
    { begin },
  );
}

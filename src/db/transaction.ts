// The one way Steward runs a transaction: BEGIN, the work, COMMIT, or ROLLBACK when anything fails.
import type { Pool, PoolClient } from 'pg';

export interface TransactionOptions {
  /** The statement that opens it, e.g. with an isolation level; plain `BEGIN` by default. */
  begin?: string;
  /** How often to run idempotent work again when Postgres ends it as a deadlock's victim; never by default. */
  deadlockRetries?: number;
}

const DEADLOCK_DETECTED = '40P01';

/** Runs `work` in a transaction on a connection checked out for it. */
export async function inTransaction<T>(pool: Pool, work: (db: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await onCheckedOutClient(pool, work, options);
    } catch (error) {
      if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= (options.deadlockRetries ?? 0)) throw error;
      // The other side of the deadlock goes on; this one starts again a moment later.
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
    }
  }
}

async function onCheckedOutClient<T>(pool: Pool, work: (db: PoolClient) => Promise<T>, options: TransactionOptions): Promise<T> {
  const client = await pool.connect();
  // The pool listens for errors of idle clients only: a connection that drops while checked out (the database went
  // away between two queries) would otherwise be an unhandled 'error' that ends the process.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await transactionOn(client, work, options);
  } finally {
    client.off('error', onError);
    // A broken connection is destroyed, not handed to the next caller.
    client.release(broken);
  }
}

/** Runs `work` in a transaction on a connection the caller holds (e.g. one that also holds an advisory lock). */
export async function transactionOn<T>(client: PoolClient, work: (db: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  try {
    await client.query(options.begin ?? 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

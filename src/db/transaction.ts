// The one way Steward runs a transaction: BEGIN, the work, COMMIT, or ROLLBACK when anything fails.
import type { Pool, PoolClient } from 'pg';

export interface TransactionOptions {
  /** The statement that opens it, e.g. with an isolation level; plain `BEGIN` by default. */
  begin?: string;
  /** Runs idempotent work again, a moment later, when it fails with one of these SQLSTATEs; never by default. */
  retry?: { codes: readonly string[]; attempts: number };
}

/** Runs `work` in a transaction on a connection checked out for it. */
export async function inTransaction<T>(pool: Pool, work: (db: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await onCheckedOutClient(pool, work, options);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (!options.retry || typeof code !== 'string' || !options.retry.codes.includes(code) || attempt + 1 >= options.retry.attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
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

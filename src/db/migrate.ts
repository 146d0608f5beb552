// Applies the ordered SQL migrations in src/db/migrations, once each, under an advisory lock so that
// concurrent starters (dev stack, tests, workers) never apply one twice.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { findProjectRoot } from '../config/project-root';
import { transactionOn } from './transaction';

const MIGRATION_LOCK_ID = 0x5743_0001;

export function migrationsDir(): string {
  return join(findProjectRoot(), 'src', 'db', 'migrations');
}

/** Applies pending migrations and returns the names of those it applied. */
export async function migrate(pool: Pool, dir = migrationsDir()): Promise<string[]> {
  const files = readdirSync(dir).filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name)).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const name of files.filter((file) => !done.has(file))) {
      try {
        await transactionOn(client, async (db) => {
          await db.query(readFileSync(join(dir, name), 'utf8'));
          await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        });
        applied.push(name);
      } catch (error) {
        throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

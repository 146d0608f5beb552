// Applies the ordered SQL migrations in src/db/migrations, once each, under an advisory lock so that
// concurrent starters (dev stack, tests, workers) never apply one twice.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { findProjectRoot } from '../config/project-root';

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
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(join(dir, name), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
        applied.push(name);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

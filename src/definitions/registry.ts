// Workflow definitions registered per tenant as (tenant, workflow id, version) with a content hash.
// A version's content is immutable: re-registering it with other content is refused, so a run that pinned
// a hash always executes exactly what it started with.
import type { Pool } from 'pg';
import { StewardError } from '../errors';
import { withTenant } from '../db/tenant-scope';
import { hashDefinition } from '../ir/hash';
import { formatIssue } from '../ir/issues';
import type { Definition } from '../ir/schema';
import { validateDefinition } from '../ir/validate';
import type { TenantId } from '../tenancy/tenant-id';

export interface StoredDefinition {
  workflowId: string;
  version: number;
  hash: string;
  definition: Definition;
}

export async function registerDefinition(
  pool: Pool,
  tenant: TenantId,
  definition: Definition,
  source: string,
): Promise<{ status: 'registered' | 'unchanged'; hash: string }> {
  const hash = hashDefinition(definition);
  return withTenant(pool, tenant, async (db) => {
    const inserted = await db.query(
      `INSERT INTO definitions (tenant_id, workflow_id, version, content_hash, definition, source)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [tenant, definition.id, definition.version, hash, definition, source],
    );
    if (inserted.rowCount === 1) return { status: 'registered' as const, hash };
    const existing = await db.query<{ content_hash: string }>(
      'SELECT content_hash FROM definitions WHERE tenant_id = $1 AND workflow_id = $2 AND version = $3',
      [tenant, definition.id, definition.version],
    );
    if (existing.rows[0]?.content_hash === hash) return { status: 'unchanged' as const, hash };
    throw new StewardError(
      'DEFINITION_CONFLICT',
      `${definition.id} version ${definition.version} is already registered with different content: publish it as version ${definition.version + 1}`,
    );
  });
}

/** Loads a definition by version, or its newest version when none is given. */
export async function findDefinition(pool: Pool, tenant: TenantId, workflowId: string, version?: number): Promise<StoredDefinition> {
  const row = await withTenant(pool, tenant, async (db) => {
    const result = await db.query<{ version: number; content_hash: string; definition: unknown }>(
      `SELECT version, content_hash, definition FROM definitions
       WHERE tenant_id = $1 AND workflow_id = $2 AND ($3::int IS NULL OR version = $3)
       ORDER BY version DESC LIMIT 1`,
      [tenant, workflowId, version ?? null],
    );
    return result.rows[0];
  });
  if (!row) {
    const which = version === undefined ? 'any version' : `version ${version}`;
    throw new StewardError('DEFINITION_NOT_FOUND', `workflow ${JSON.stringify(workflowId)} (${which}) is not registered for this tenant`);
  }
  return { workflowId, version: row.version, hash: row.content_hash, definition: checkStoredDefinition(workflowId, row.version, row.content_hash, row.definition) };
}

/** The distinct `data_policy` objects of the tenant's definitions, as stored (absent ones as null). */
export async function listDataPolicies(pool: Pool, tenant: TenantId): Promise<unknown[]> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query<{ policy: unknown }>(`SELECT DISTINCT definition->'data_policy' AS policy FROM definitions`);
    return result.rows.map((row) => row.policy);
  });
}

/** The longest `retention_days` any of the tenant's definitions declares; undefined when none does. */
export async function findLongestRetentionDays(pool: Pool, tenant: TenantId): Promise<number | undefined> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query<{ days: number | null }>(`SELECT max((definition->'data_policy'->>'retention_days')::int) AS days FROM definitions`);
    return result.rows[0]?.days ?? undefined;
  });
}

/**
 * A stored definition is validated again and held to its content hash as it is loaded: a row written around the
 * registry (or by an older Steward with looser rules) is refused by name, never cast and run.
 */
function checkStoredDefinition(workflowId: string, version: number, hash: string, stored: unknown): Definition {
  const where = `workflow ${JSON.stringify(workflowId)} version ${version}`;
  const validated = validateDefinition(stored);
  if (!validated.ok) throw new StewardError('DEFINITION_INVALID', `${where}: the stored definition does not validate: ${formatIssue(validated.issues[0]!)}`);
  if (hashDefinition(validated.definition) !== hash) throw new StewardError('DEFINITION_INVALID', `${where}: the stored definition does not match its content hash`);
  return validated.definition;
}

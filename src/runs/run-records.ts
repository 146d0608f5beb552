// The `runs` table: one row per run, written when the run starts, naming the definition it pins and its verified
// starter; read beside Temporal's visibility, which knows neither. Nothing else reads or writes it, and row-level
// security keeps it to the caller's tenant.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';

export interface RunStart {
  workflowId: string;
  runId: string;
  definitionId: string;
  version: number;
  contentHash: string;
  /** The subject whose sealed token proves they started the run; absent when nothing proves one. */
  startedBy?: string | undefined;
}

/** Records the run once: a retried start keeps the first record. */
export async function recordRunStart(pool: Pool, tenant: TenantId, run: RunStart): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `INSERT INTO runs (tenant_id, workflow_id, run_id, definition_id, version, content_hash, started_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [tenant, run.workflowId, run.runId, run.definitionId, run.version, run.contentHash, run.startedBy ?? null],
    ),
  );
}

/** The verified starters recorded for any run of these workflow ids. */
export async function findRecordedStarters(pool: Pool, tenant: TenantId, workflowIds: readonly string[]): Promise<string[]> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query<{ started_by: string }>(`SELECT DISTINCT started_by FROM runs WHERE workflow_id = ANY($1) AND started_by IS NOT NULL`, [
      workflowIds,
    ]);
    return result.rows.map((row) => row.started_by);
  });
}

export interface RunRecord {
  workflowId: string;
  definition: string;
  version: number;
  /** The verified starter (see run-starter.ts); absent when nothing proves one. */
  startedBy?: string;
}

/** The records of these runs, by workflow id (a continue-as-new chain keeps its first run's row). */
export async function findRunRecords(pool: Pool, tenant: TenantId, workflowIds: readonly string[]): Promise<Map<string, RunRecord>> {
  if (workflowIds.length === 0) return new Map();
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query(
      `SELECT DISTINCT ON (workflow_id) workflow_id, definition_id, version, started_by
       FROM runs WHERE workflow_id = ANY($1) ORDER BY workflow_id, started_at`,
      [workflowIds],
    );
    return new Map(
      rows.map((row) => [
        row.workflow_id as string,
        { workflowId: row.workflow_id, definition: row.definition_id, version: row.version, ...(row.started_by ? { startedBy: row.started_by } : {}) },
      ]),
    );
  });
}

/** Workflow ids of the runs a verified user started, newest first (at most `limit`). */
export async function findRunsStartedBy(pool: Pool, tenant: TenantId, user: string, limit: number): Promise<string[]> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query(`SELECT workflow_id FROM runs WHERE started_by = $1 GROUP BY workflow_id ORDER BY max(started_at) DESC LIMIT $2`, [user, limit]);
    return rows.map((row) => row.workflow_id as string);
  });
}

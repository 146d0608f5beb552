// The `runs` table: one row per run, written when the run starts, naming the definition it pins and its verified
// starter. Nothing else reads or writes it.
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

// Pending approvals of one tenant across its runs, from the `approvals` table that runs keep in step.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';

export interface PendingApproval {
  workflowId: string;
  runId: string;
  node: string;
  approvers: { users: string[]; groups: string[] };
  required: number;
  since: Date;
}

export async function listPendingApprovals(pool: Pool, tenant: TenantId): Promise<PendingApproval[]> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query(
      `SELECT workflow_id, run_id, node_id, request, created_at FROM approvals WHERE status = 'pending' ORDER BY created_at`,
    );
    return rows.map((row) => ({
      workflowId: row.workflow_id,
      runId: row.run_id,
      node: row.node_id,
      approvers: row.request.approvers,
      required: row.request.required,
      since: row.created_at,
    }));
  });
}

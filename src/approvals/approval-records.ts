// The `approvals` table: each approval node's state, kept in step by its run, so pending approvals can be listed
// across the tenant's runs. Nothing else reads or writes it.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { Approvers } from '../ir/schema';
import type { TenantId } from '../tenancy/tenant-id';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalState {
  workflowId: string;
  runId: string;
  nodeId: string;
  status: ApprovalStatus;
  approvers: Approvers;
  required: number;
  decidedBy: readonly string[];
}

export interface PendingApproval {
  workflowId: string;
  runId: string;
  node: string;
  approvers: { users: string[]; groups: string[] };
  required: number;
  since: Date;
}

/** Writes the node's current state; a decided state also stamps when it was decided. */
export async function recordApprovalState(pool: Pool, tenant: TenantId, state: ApprovalState): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `INSERT INTO approvals (tenant_id, workflow_id, run_id, node_id, status, request, decisions, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $5 = 'pending' THEN NULL ELSE now() END)
       ON CONFLICT (tenant_id, workflow_id, run_id, node_id)
       DO UPDATE SET status = EXCLUDED.status, decisions = EXCLUDED.decisions, decided_at = EXCLUDED.decided_at`,
      [
        tenant,
        state.workflowId,
        state.runId,
        state.nodeId,
        state.status,
        { approvers: state.approvers, required: state.required },
        JSON.stringify(state.decidedBy),
      ],
    ),
  );
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

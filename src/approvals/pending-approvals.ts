// Pending approvals of one tenant across its runs, as an inbox shows them: from the `approvals` table that runs
// keep in step (what is to be approved, already redacted by the run's data policy; who decides; the deadline; why a
// refused delegation waits) and, for how many decisions are in, the accepted approvals in the audit trail.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';

export interface PendingApproval {
  workflowId: string;
  runId: string;
  node: string;
  /** `delegation`: the run waits because a step's delegation was refused (see `reason`), not at an approval node. */
  kind: 'approval' | 'delegation';
  /** The node's rendered `message`, redacted by the run's data policy; absent when the node has none. */
  message?: string;
  /** Why a refused delegation waits (`scope_denied: …`). */
  reason?: string;
  approvers: { users: string[]; groups: string[] };
  /** Approvals counted so far, and how many are needed. */
  decisions: number;
  required: number;
  /** When the wait gives up (or escalates); absent when it waits without a timeout, or for runs recorded before. */
  deadline?: Date;
  /** The first timeout passed and the wait went to `escalate_to`. */
  escalated: boolean;
  since: Date;
}

export async function listPendingApprovals(pool: Pool, tenant: TenantId, filter: { workflowId?: string } = {}): Promise<PendingApproval[]> {
  return withTenant(pool, tenant, async (db) => {
    const { rows } = await db.query(
      `SELECT a.workflow_id, a.run_id, a.node_id, a.request, a.created_at,
              (SELECT count(*) FROM audit_events e
                WHERE e.workflow_id = a.workflow_id AND e.run_id = a.run_id AND e.step = a.node_id
                  AND e.event_type = 'approval.accepted' AND e.payload->>'decision' = 'approve') AS decisions
       FROM approvals a WHERE a.status = 'pending' AND ($1::text IS NULL OR a.workflow_id = $1) ORDER BY a.created_at`,
      [filter.workflowId ?? null],
    );
    return rows.map((row) => {
      const request = row.request as { approvers: PendingApproval['approvers']; required: number; message?: string; reason?: string; deadline?: string; escalated?: boolean };
      return {
        workflowId: row.workflow_id,
        runId: row.run_id,
        node: row.node_id,
        kind: request.reason === undefined ? 'approval' : 'delegation',
        ...(request.message !== undefined ? { message: request.message } : {}),
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        approvers: request.approvers,
        decisions: Number(row.decisions),
        required: request.required,
        ...(request.deadline !== undefined ? { deadline: new Date(request.deadline) } : {}),
        escalated: request.escalated === true,
        since: row.created_at,
      };
    });
  });
}

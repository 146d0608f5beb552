// The `approvals` table: each approval node's state, kept in step by its run, so pending approvals can be listed
// across the tenant's runs as an inbox shows them (what is to be approved, already redacted by the run's data policy;
// who decides; the deadline; why a refused delegation waits) with, for how many decisions are in, the accepted
// approvals in the audit trail. Nothing else reads or writes it.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { Approvers } from '../ir/schema';
import type { TenantId } from '../tenancy/tenant-id';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

/** What the inbox shows of a request; `message` and `reason` already redacted. */
export interface ApprovalRequest {
  approvers: Approvers;
  required: number;
  message?: string;
  reason?: string;
  /** ISO time when the wait gives up (or escalates). */
  deadline?: string;
  escalated?: boolean;
}

export interface ApprovalState {
  workflowId: string;
  runId: string;
  nodeId: string;
  status: ApprovalStatus;
  request: ApprovalRequest;
  decidedBy: readonly string[];
}

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

/**
 * Writes the node's current state. A pending state (a new wait, or its escalation) replaces what the row says of the
 * request; a decided one keeps it and stamps when it was decided.
 */
export async function recordApprovalState(pool: Pool, tenant: TenantId, state: ApprovalState): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `INSERT INTO approvals (tenant_id, workflow_id, run_id, node_id, status, request, decisions, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $5 = 'pending' THEN NULL ELSE now() END)
       ON CONFLICT (tenant_id, workflow_id, run_id, node_id)
       DO UPDATE SET status = EXCLUDED.status, decisions = EXCLUDED.decisions, decided_at = EXCLUDED.decided_at,
                     request = CASE WHEN EXCLUDED.status = 'pending' THEN EXCLUDED.request ELSE approvals.request END`,
      [tenant, state.workflowId, state.runId, state.nodeId, state.status, state.request, JSON.stringify(state.decidedBy)],
    ),
  );
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
      const request = row.request as ApprovalRequest;
      return {
        workflowId: row.workflow_id,
        runId: row.run_id,
        node: row.node_id,
        kind: request.reason === undefined ? 'approval' : 'delegation',
        ...(request.message !== undefined ? { message: request.message } : {}),
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        approvers: { users: [...(request.approvers.users ?? [])], groups: [...(request.approvers.groups ?? [])] },
        decisions: Number(row.decisions),
        required: request.required,
        ...(request.deadline !== undefined ? { deadline: new Date(request.deadline) } : {}),
        escalated: request.escalated === true,
        since: row.created_at,
      };
    });
  });
}

// Verifies one approval decision: the workflow never trusts a signal's claims, so the approver's token is
// checked here (signature, issuer, audience, expiry, tenant), then the approver against the node's approvers,
// duplicates and self-approval. Every decision, accepted or refused, goes to the audit trail.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { withTenant } from '../src/db/tenant-scope';
import { TokenInvalidError, verifyUserToken } from '../src/identity';
import type { Approvers } from '../src/ir/schema';
import type { TenantId } from '../src/tenancy/tenant-id';

export interface ApprovalDecision {
  nodeId: string;
  decision: unknown;
  token: unknown;
  comment?: unknown;
  approvers: Approvers;
  /** Subjects whose approval this node already counted. */
  counted: string[];
  /** The user who started the run, when known: they may not approve their own run unless allowed. */
  runUser?: string;
  /** The definition acting (the agent), for the audit entry. */
  agent?: string;
  allowSelfApproval: boolean;
}

export type ApprovalVerdict =
  | { accepted: true; approver: string; decision: 'approve' | 'reject' }
  | { accepted: false; reason: string; approver?: string };

export interface ApprovalDeps {
  pool: Pool;
  tenant: TenantId;
  identity?: { issuer: string; audience: string; jwksUrl: string };
}

export function createVerifyApproval(deps: ApprovalDeps) {
  return async function verifyApproval(request: ApprovalDecision): Promise<ApprovalVerdict> {
    const verdict = await judge(deps, request);
    const { workflowId, runId } = Context.current().info.workflowExecution ?? {};
    await recordAuditEvent(deps.pool, deps.tenant, {
      type: verdict.accepted ? 'approval.accepted' : 'approval.refused',
      workflowId,
      runId,
      step: request.nodeId,
      attempt: Context.current().info.attempt,
      userId: verdict.approver,
      agentId: request.agent,
      payload: verdict.accepted ? { decision: verdict.decision } : { reason: verdict.reason },
    });
    return verdict;
  };
}

async function judge(deps: ApprovalDeps, request: ApprovalDecision): Promise<ApprovalVerdict> {
  if (request.decision !== 'approve' && request.decision !== 'reject') return { accepted: false, reason: 'decision must be "approve" or "reject"' };
  if (typeof request.token !== 'string' || request.token.length === 0) return { accepted: false, reason: 'no approver token' };
  if (!deps.identity) return { accepted: false, reason: 'no identity provider is configured to verify approvers' };
  let subject: string;
  let groups: string[];
  try {
    const principal = await verifyUserToken(request.token, { ...deps.identity, tenant: deps.tenant });
    subject = principal.subject;
    groups = principal.groups;
  } catch (error) {
    if (error instanceof TokenInvalidError) {
      // An unreachable JWKS is worth retrying; a bad token is a refusal.
      if (error.reason === 'jwks_unavailable') throw error;
      return { accepted: false, reason: `approver token refused: ${error.reason}` };
    }
    throw error;
  }
  const { users, groups: allowedGroups } = request.approvers;
  if (!users.includes(subject) && !groups.some((group) => allowedGroups.includes(group))) {
    return { accepted: false, approver: subject, reason: 'not among the approvers' };
  }
  if (!request.allowSelfApproval && request.runUser === subject) return { accepted: false, approver: subject, reason: 'self-approval is not allowed' };
  if (request.counted.includes(subject)) return { accepted: false, approver: subject, reason: 'duplicate decision by the same approver' };
  return { accepted: true, approver: subject, decision: request.decision };
}

export interface ApprovalRecord {
  nodeId: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  approvers: Approvers;
  required: number;
  decidedBy?: string[];
}

/** Keeps the tenant's `approvals` table in step with the run, so pending approvals can be listed across runs. */
export function createRecordApproval(deps: ApprovalDeps) {
  return async function recordApproval(record: ApprovalRecord): Promise<void> {
    const { workflowId, runId } = Context.current().info.workflowExecution ?? {};
    if (!workflowId || !runId) return;
    await withTenant(deps.pool, deps.tenant, (db) =>
      db.query(
        `INSERT INTO approvals (tenant_id, workflow_id, run_id, node_id, status, request, decisions, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $5 = 'pending' THEN NULL ELSE now() END)
         ON CONFLICT (tenant_id, workflow_id, run_id, node_id)
         DO UPDATE SET status = EXCLUDED.status, decisions = EXCLUDED.decisions, decided_at = EXCLUDED.decided_at`,
        [deps.tenant, workflowId, runId, record.nodeId, record.status, { approvers: record.approvers, required: record.required }, JSON.stringify(record.decidedBy ?? [])],
      ),
    );
  };
}

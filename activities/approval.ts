// Verifies one approval decision: the workflow never trusts a signal's claims, so the approver's token is
// checked here (signature, issuer, audience, expiry, tenant) and spent — one token, one decision, for this run and
// node only — then the approver against the node's approvers, the run's verified starter and duplicates. Every
// decision, accepted or refused, goes to the audit trail.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordApprovalState, type ApprovalRequest, type ApprovalStatus } from '../src/approvals/approval-records';
import { spendApprovalToken } from '../src/approvals/approval-token-uses';
import { recordAuditEvent } from '../src/audit/audit-log';
import type { TenantKeyring } from '../src/codec/keys/keyring';
import { TokenInvalidError, verifyUserToken } from '../src/identity';
import { findRunStarters } from '../src/identity/run-starter';
import { loadUserToken } from '../src/identity/user-token-store';
import type { Approvers } from '../src/ir/schema';
import { applyDataPolicySync, redactText } from '../src/pii';
import { DataPolicy } from '../src/pii/policy';
import type { TenantId } from '../src/tenancy/tenant-id';
import { withFailureMapping } from './failures';

export interface ApprovalDecision {
  nodeId: string;
  decision: unknown;
  /** The approver's token as a raw signal carries it (in clear in history unless sent through the codec). */
  token?: unknown;
  /** The handle a client sealed the approver's token under for this run: what `run.approve()` and the gateway send. */
  tokenHandle?: unknown;
  comment?: unknown;
  approvers: Approvers;
  /** Subjects whose approval this node already counted. */
  counted: string[];
  /** Temporal's root of the run when it is a child run: its starter may not approve the child either. */
  rootWorkflowId?: string | undefined;
  /** The definition acting (the agent), for the audit entry. */
  agent?: string;
  allowSelfApproval: boolean;
  /** The run refuses a decision it cannot check during an outage (the approver sends it again) instead of failing. */
  waitsOutOutages?: boolean;
}

export type ApprovalVerdict =
  | { accepted: true; approver: string; decision: 'approve' | 'reject' }
  | { accepted: false; reason: string; approver?: string };

export interface ApprovalDeps {
  pool: Pool;
  tenant: TenantId;
  identity?: { issuer: string; audience: string; jwksUrl: string };
  /** Opens approver tokens sealed by a client; without it only raw tokens can be verified. */
  keyring?: TenantKeyring;
  /** Keys the hash of PII in what the approvals table and the audit trail keep of a message or comment. */
  piiHmacKey?: Uint8Array;
}

/** Stands in for a missing key where the mode never reads one (mask, remove). */
const NO_HMAC_KEY = new Uint8Array(0);
/** The most of a decision's comment the audit trail keeps. */
const MAX_AUDITED_COMMENT = 2_000;

interface RunContext {
  workflowId: string;
  runId: string;
  /** Identifies this verification across its own retries. */
  verification: string;
}

export function createVerifyApproval(deps: ApprovalDeps) {
  return async function verifyApproval(request: ApprovalDecision): Promise<ApprovalVerdict> {
    return withFailureMapping(() => verifyAndAudit(deps, request), { waitsOutOutages: request.waitsOutOutages });
  };
}

async function verifyAndAudit(deps: ApprovalDeps, request: ApprovalDecision): Promise<ApprovalVerdict> {
  const info = Context.current().info;
  const { workflowId, runId } = info.workflowExecution ?? { workflowId: '', runId: '' };
  const details: Record<string, unknown> = {};
  const verdict = await judge(deps, request, { workflowId, runId, verification: `${runId}/${info.activityId}` }, details);
  await recordAuditEvent(deps.pool, deps.tenant, {
    type: verdict.accepted ? 'approval.accepted' : 'approval.refused',
    workflowId,
    runId,
    step: request.nodeId,
    attempt: info.attempt,
    userId: verdict.approver,
    agentId: request.agent,
    payload: { ...(verdict.accepted ? { decision: verdict.decision } : { reason: verdict.reason, ...details }), ...auditedComment(deps, request.comment) },
  });
  return verdict;
}

/** The decision's comment for the trail, its PII hashed (masked without a key), so a timeline can say why. */
function auditedComment(deps: ApprovalDeps, comment: unknown): { comment?: string } {
  if (typeof comment !== 'string' || comment === '') return {};
  const text = comment.slice(0, MAX_AUDITED_COMMENT);
  return { comment: redactText(text, deps.piiHmacKey ? { mode: 'hash', hmacKey: deps.piiHmacKey } : { mode: 'mask' }) };
}

async function judge(deps: ApprovalDeps, request: ApprovalDecision, run: RunContext, details: Record<string, unknown>): Promise<ApprovalVerdict> {
  if (request.decision !== 'approve' && request.decision !== 'reject') return { accepted: false, reason: 'decision must be "approve" or "reject"' };
  const presented = await presentedToken(deps, request, run);
  if (typeof presented !== 'string') return presented;
  if (!deps.identity) return { accepted: false, reason: 'no identity provider is configured to verify approvers' };
  let principal;
  try {
    principal = await verifyUserToken(presented, { ...deps.identity, tenant: deps.tenant });
  } catch (error) {
    if (error instanceof TokenInvalidError) {
      // An unreachable JWKS is worth retrying; a bad token is a refusal.
      if (error.reason === 'jwks_unavailable') throw error;
      return { accepted: false, reason: `approver token refused: ${error.reason}` };
    }
    throw error;
  }
  const subject = principal.subject;
  // Spent before anything else is judged: a token that was ever presented to a run decides nothing elsewhere.
  const spent = await spendApprovalToken(deps.pool, deps.tenant, {
    token: presented,
    workflowId: run.workflowId,
    runId: run.runId,
    nodeId: request.nodeId,
    spentBy: run.verification,
    subject,
    expiresAt: principal.expiresAt,
  });
  if (!spent.spent) {
    details.used_for = { workflow_id: spent.usedFor.workflowId, node: spent.usedFor.nodeId };
    return { accepted: false, approver: subject, reason: 'approver token already used: each decision needs a fresh token' };
  }
  const { users, groups: allowedGroups } = request.approvers;
  if (!users.includes(subject) && !principal.groups.some((group) => allowedGroups.includes(group))) {
    return { accepted: false, approver: subject, reason: 'not among the approvers' };
  }
  if (!request.allowSelfApproval) {
    const starters = await findRunStarters(deps.pool, deps.tenant, { workflowId: run.workflowId, rootWorkflowId: request.rootWorkflowId });
    if (starters.length === 0) {
      return { accepted: false, approver: subject, reason: 'the run has no verified starter, so self-approval cannot be ruled out (start it with a user token, or set allow_self_approval)' };
    }
    if (starters.includes(subject)) return { accepted: false, approver: subject, reason: 'self-approval is not allowed' };
  }
  if (request.counted.includes(subject)) return { accepted: false, approver: subject, reason: 'duplicate decision by the same approver' };
  return { accepted: true, approver: subject, decision: request.decision };
}

/** The token the decision presents: a raw one, or the one a client sealed for this very run under a handle. */
async function presentedToken(deps: ApprovalDeps, request: ApprovalDecision, run: RunContext): Promise<string | ApprovalVerdict> {
  if (typeof request.tokenHandle === 'string' && request.tokenHandle !== '') {
    const stored = deps.keyring ? await loadUserToken(deps.pool, deps.keyring, request.tokenHandle) : undefined;
    if (!stored || stored.workflowId !== run.workflowId) {
      return { accepted: false, reason: 'approver token refused: the handle is unknown, expired or sealed for another run' };
    }
    return stored.token;
  }
  if (typeof request.token === 'string' && request.token.length > 0) return request.token;
  return { accepted: false, reason: 'no approver token' };
}

export interface ApprovalRecord {
  nodeId: string;
  status: ApprovalStatus;
  approvers: Approvers;
  required: number;
  decidedBy?: string[];
  /** The node's rendered `message`: what is to be approved. Kept redacted under `dataPolicy`. */
  message?: string;
  /** Why a refused delegation waits (`scope_denied: …`). */
  reason?: string;
  /** ISO time the wait gives up (or escalates). */
  deadline?: string;
  /** The wait passed its first timeout and went to `escalate_to`. */
  escalated?: boolean;
  /** The run's data policy: what the inbox shows of the message. */
  dataPolicy?: DataPolicy;
  /** The run waits out a dependency's outage, so this write reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

/** The message and reason as an inbox may show them: PII redacted by the run's policy (a token becomes a mask, for people). */
function inboxRequest(deps: ApprovalDeps, record: ApprovalRecord): ApprovalRequest {
  const shown: Record<string, unknown> = {};
  if (record.message !== undefined) shown.message = record.message;
  if (record.reason !== undefined) shown.reason = record.reason;
  const policy = record.dataPolicy ?? DataPolicy.parse({});
  const mode = policy.redaction_mode === 'tokenize' || (policy.redaction_mode === 'hash' && !deps.piiHmacKey) ? 'mask' : policy.redaction_mode;
  const redacted = applyDataPolicySync(shown, { ...policy, redaction_mode: mode }, { hmacKey: deps.piiHmacKey ?? NO_HMAC_KEY }) as Partial<Record<'message' | 'reason', string>>;
  return {
    approvers: record.approvers,
    required: record.required,
    ...redacted,
    ...(record.deadline !== undefined ? { deadline: record.deadline } : {}),
    ...(record.escalated ? { escalated: true } : {}),
  };
}

/** Keeps the tenant's `approvals` table in step with the run, so pending approvals can be listed across runs. A
 *  pending record (a new wait, or its escalation) replaces what the row says of the request; a decision keeps it. */
export function createRecordApproval(deps: ApprovalDeps) {
  return async function recordApproval(record: ApprovalRecord): Promise<void> {
    const { workflowId, runId } = Context.current().info.workflowExecution ?? {};
    if (!workflowId || !runId) return;
    const state = { workflowId, runId, nodeId: record.nodeId, status: record.status, request: inboxRequest(deps, record), decidedBy: record.decidedBy ?? [] };
    await withFailureMapping(() => recordApprovalState(deps.pool, deps.tenant, state), { waitsOutOutages: record.waitsOutOutages });
  };
}

export interface RefusedSignalRecord {
  signal: string;
  node?: string;
  reason: string;
  /** The run waits out a dependency's outage, so this write reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

/** Audits a signal the run would not keep (a decision for a node that is not waiting, a flood): never its content. */
export function createRecordRefusedSignal(deps: ApprovalDeps) {
  return async function recordRefusedSignal(refused: RefusedSignalRecord): Promise<void> {
    const info = Context.current().info;
    const entry = {
      type: refused.signal === 'approval' ? 'approval.refused' : 'signal.refused',
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      step: refused.node,
      attempt: info.attempt,
      payload: { reason: refused.reason, signal: refused.signal },
    };
    await withFailureMapping(() => recordAuditEvent(deps.pool, deps.tenant, entry), { waitsOutOutages: refused.waitsOutOutages });
  };
}

// The `approval` node: waits (durably, on Temporal signals and timers) until enough distinct, verified approvers
// approve, one rejects, or the timeout decides (reject, approve, or escalate once to other approvers).
import { condition, patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApprovalRecord, ApprovalVerdict } from '../activities/approval';
import { parseDuration } from '../src/ir/duration';
import { renderTemplate } from '../src/ir/expressions';
import type { ApprovalNode, Approvers } from '../src/ir/schema';
import { bookkeepingOutlastingOutages, isDependencyOutage, waitingOutOutages } from './dependency-wait';
import type { NodeContext } from './node-context';
import { scopeOf } from './run-state';
import { runEvents } from './run-telemetry';

// Verification is quick and local to the worker: a local activity keeps the decision's latency low.
const { verifyApproval, recordApproval } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/** A decision that cannot be checked while the identity provider (or the database) is down is refused, retryably,
 *  and the run keeps waiting; runs recorded before this failed on it and replay that way. */
const APPROVAL_OUTAGE_PATCH = 'approval-outlasts-outage';
const OUTAGE = Symbol('outage');
/** The pending record carries what an inbox shows (the rendered message, the deadline, an escalation); runs from
 *  before recorded approvers and the count only, and replay that way. */
const APPROVAL_INBOX_PATCH = 'approval-inbox';
/** A raw signal's decision that meets an outage is checked again once it is over, as no one would hear "send it
 *  again"; runs recorded before answered it so, dropping it, and replay that way. */
const SIGNAL_OUTAGE_PATCH = 'approval-signal-outlasts-outage';
const OUTAGE_REFUSAL = 'the decision could not be verified just now (a dependency of Steward is unavailable); send it again shortly';

export interface ApprovalOutcome {
  approved: boolean;
  output: { decision: 'approved' | 'rejected'; approvers: string[]; rejected_by?: string; reason?: string };
}

export async function runApproval(interpreter: NodeContext, id: string, node: ApprovalNode): Promise<ApprovalOutcome> {
  const onlyWaiting = () => interpreter.pending.filter((wait) => wait.kind === 'approval').length === 1;
  // Runs recorded before the approvals table existed replay without these local activities.
  const keepsTable = patched('approvals-table');
  const inbox = keepsTable && patched(APPROVAL_INBOX_PATCH) ? { message: renderedMessage(interpreter, node), dataPolicy: interpreter.prepared.definition.data_policy } : undefined;
  const record = (entry: ApprovalRecord) =>
    bookkeepingOutlastingOutages(interpreter.prepared.dependencyWaitMs, (outages) => recordApproval({ ...entry, ...inbox, ...outages }));
  interpreter.inbox.waitingApprovals.add(id);
  const pending = (approvers: Approvers, deadline: string | undefined, escalated: boolean) =>
    record({ nodeId: id, status: 'pending', approvers, required: node.required, ...(inbox ? { deadline, ...(escalated ? { escalated } : {}) } : {}) });
  const asked = Date.now();
  try {
    const outcome = await decide(interpreter, id, node, onlyWaiting, keepsTable ? pending : undefined, inbox !== undefined);
    const status = outcome.approved ? 'approved' : outcome.output.reason === 'timeout' ? 'expired' : 'rejected';
    runEvents.approvalDecided(interpreter.prepared.workflow, status, Date.now() - asked);
    if (keepsTable) {
      await record({ nodeId: id, status, approvers: node.approvers, required: node.required, decidedBy: outcome.output.approvers });
    }
    return outcome;
  } finally {
    interpreter.inbox.waitingApprovals.delete(id);
    interpreter.inbox.refuseWaitingDecisions(id, onlyWaiting());
  }
}

/** The node's `message` for the people deciding; a template that fails on the run's data shows no message rather than fail the node. */
function renderedMessage(interpreter: NodeContext, node: ApprovalNode): string | undefined {
  if (node.message === undefined) return undefined;
  try {
    const rendered = renderTemplate(node.message, scopeOf(interpreter.state));
    return typeof rendered === 'string' ? rendered : JSON.stringify(rendered);
  } catch {
    return undefined;
  }
}

type RecordPending = (approvers: Approvers, deadline: string | undefined, escalated: boolean) => Promise<void>;

async function decide(
  interpreter: NodeContext,
  id: string,
  node: ApprovalNode,
  onlyWaiting: () => boolean,
  recordPending: RecordPending | undefined,
  recordsEscalation: boolean,
): Promise<ApprovalOutcome> {
  let approvers: Approvers = node.approvers;
  let timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
  let escalated = false;
  const counted: string[] = [];

  for (;;) {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const until = deadline === undefined ? undefined : new Date(deadline).toISOString();
    // The first record is written on arrival; an escalation rewrites it for the new approvers and deadline.
    if (recordPending && (!escalated || recordsEscalation)) await recordPending(approvers, until, escalated);
    const wait = { kind: 'approval' as const, node: id, ...(until === undefined ? {} : { until }) };
    const decided = await interpreter.waiting(wait, () => collect(interpreter, id, node, approvers, counted, deadline, onlyWaiting));
    if (decided) return decided;
    // Timed out.
    if (node.on_timeout === 'approve') return { approved: true, output: { decision: 'approved', approvers: counted, reason: 'timeout' } };
    if (node.on_timeout === 'escalate' && !escalated && node.escalate_to) {
      escalated = true;
      approvers = { users: node.escalate_to.users, groups: node.escalate_to.groups };
      timeoutMs = node.escalate_to.timeout === undefined ? undefined : parseDuration(node.escalate_to.timeout);
      continue;
    }
    return { approved: false, output: { decision: 'rejected', approvers: counted, reason: 'timeout' } };
  }
}

/** Verifies decisions as they arrive; resolves with the outcome, or undefined when the deadline passes first. */
async function collect(
  interpreter: NodeContext,
  id: string,
  node: ApprovalNode,
  approvers: Approvers,
  counted: string[],
  deadline: number | undefined,
  onlyWaiting: () => boolean,
): Promise<ApprovalOutcome | undefined> {
  for (;;) {
    const ready = () => interpreter.inbox.hasApproval(id, onlyWaiting());
    if (deadline === undefined) await condition(ready);
    else if (!(await condition(ready, Math.max(1, deadline - Date.now())))) return undefined;
    const signal = interpreter.inbox.takeApproval(id, onlyWaiting());
    if (!signal) continue;
    const request = {
      nodeId: id,
      decision: signal.decision,
      token: signal.token,
      tokenHandle: signal.token_handle,
      comment: signal.comment,
      approvers,
      counted: [...counted],
      rootWorkflowId: workflowInfo().root?.workflowId,
      agent: interpreter.prepared.definition.id,
      allowSelfApproval: node.allow_self_approval,
    };
    let verdict = await verifyDuringOutages(() => verifyApproval({ ...request, ...(patched(APPROVAL_OUTAGE_PATCH) ? { waitsOutOutages: true } : {}) }));
    if (verdict === OUTAGE && !interpreter.inbox.isAwaited(signal) && patched(SIGNAL_OUTAGE_PATCH)) {
      verdict = await verifyDuringOutages(() => waitingOutOutages(interpreter.prepared.dependencyWaitMs, (outages) => verifyApproval({ ...request, ...outages })));
    }
    if (verdict === OUTAGE) {
      interpreter.inbox.answer(signal, { accepted: false, code: 'APPROVER_UNVERIFIED', reason: OUTAGE_REFUSAL });
      continue;
    }
    interpreter.inbox.answerVerdict(signal, verdict);
    if (!verdict.accepted) continue;
    if (verdict.decision === 'reject') {
      return { approved: false, output: { decision: 'rejected', approvers: counted, rejected_by: verdict.approver } };
    }
    counted.push(verdict.approver);
    if (counted.length >= node.required) return { approved: true, output: { decision: 'approved', approvers: [...counted] } };
  }
}

/** The verdict, or OUTAGE when a dependency's outage kept the decision from being checked. */
async function verifyDuringOutages(verify: () => Promise<ApprovalVerdict>): Promise<ApprovalVerdict | typeof OUTAGE> {
  try {
    return await verify();
  } catch (error) {
    if (isDependencyOutage(error)) return OUTAGE;
    throw error;
  }
}

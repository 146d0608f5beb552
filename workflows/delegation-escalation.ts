// When a step's delegation is refused (the user token expired, was revoked, or lacks a scope the step needs), the
// run pauses in an approval-style wait instead of failing silently or retrying forever. It resumes when the run's
// own user sends a fresh token (signal `user_token` with the handle the client sealed it under) or when a human
// decides: `approve` tries the step again, `reject` ends the run. No decision within the escalation timeout ends
// the run with the original refusal. A check that fails during a brief outage does not end the wait.
import { ApplicationFailure, condition, isCancellation, patched, proxyLocalActivities, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApprovalRecord, ApprovalVerdict } from '../activities/approval';
import type { AdoptUserTokenVerdict } from '../activities/delegation';
import { parseDuration } from '../src/ir/duration';
import type { Approvers } from '../src/ir/schema';
import { bookkeepingOutlastingOutages } from './dependency-wait';
import type { NodeContext } from './node-context';

const { adoptUserToken, verifyApproval, recordApproval } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

type Resolution = { kind: 'renewed' } | { kind: 'retry'; by: string } | { kind: 'rejected'; by: string } | { kind: 'timeout' };

/** Runs from before these changes replay as they ran: no root sent with the handle, and a failed check ends the wait. */
const ROOT_BINDING_PATCH = 'delegation-root-binding';
const OUTLAST_OUTAGE_PATCH = 'delegation-wait-outlasts-outage';
/** The pending record says why the run waits and until when; runs from before recorded the approvers only. */
const ESCALATION_INBOX_PATCH = 'delegation-escalation-inbox';

/**
 * Temporal's root of this run when it is a child run, for the activities that open the user's token: a token
 * sealed for the root serves its children. Taken from Temporal, never from the run's input, which its starter chose.
 */
export function delegationRoot(): { rootWorkflowId?: string } {
  const { root, workflowId } = workflowInfo();
  if (!root || root.workflowId === workflowId || !patched(ROOT_BINDING_PATCH)) return {};
  return { rootWorkflowId: root.workflowId };
}

/**
 * True when a local check failed for good (after its retries) and the wait may go on: the outage may be brief.
 * A local activity's failure reaches the workflow as its own failure (an ApplicationFailure, a timeout), not
 * wrapped in an ActivityFailure.
 */
function isOutage(error: unknown): boolean {
  return error instanceof TemporalFailure && !isCancellation(error) && patched(OUTLAST_OUTAGE_PATCH);
}

export async function awaitFreshDelegation(interpreter: NodeContext, id: string, refusal: ApplicationFailure): Promise<void> {
  const oauth = interpreter.prepared.definition.oauth;
  const user = interpreter.state.delegation?.subject;
  // Without escalate_to, the run's own user decides (they may also just send a fresh token).
  const approvers: Approvers = oauth?.escalate_to ?? { users: user ? [user] : [], groups: [] };
  const timeout = oauth?.escalation_timeout ?? '24h';
  const deadline = Date.now() + parseDuration(timeout);
  const onlyWaiting = () => interpreter.pending.filter((wait) => wait.kind === 'approval').length === 1;

  const record = (entry: ApprovalRecord) =>
    bookkeepingOutlastingOutages(interpreter.prepared.dependencyWaitMs, (outages) => recordApproval({ ...entry, ...outages }));
  interpreter.inbox.waitingApprovals.add(id);
  const why = patched(ESCALATION_INBOX_PATCH) ? { reason: refusalReason(refusal), deadline: new Date(deadline).toISOString() } : {};
  await record({ nodeId: id, status: 'pending', approvers, required: 1, ...why });
  let resolution: Resolution;
  try {
    const wait = { kind: 'approval' as const, node: id, until: new Date(deadline).toISOString(), reason: 'delegation' as const };
    resolution = await interpreter.waiting(wait, () => resolve(interpreter, id, approvers, user, deadline, onlyWaiting));
  } finally {
    interpreter.inbox.waitingApprovals.delete(id);
    interpreter.inbox.refuseWaitingDecisions(id, onlyWaiting());
  }

  const decidedBy = resolution.kind === 'retry' || resolution.kind === 'rejected' ? [resolution.by] : resolution.kind === 'renewed' && user ? [user] : [];
  const status = resolution.kind === 'rejected' ? 'rejected' : resolution.kind === 'timeout' ? 'expired' : 'approved';
  await record({ nodeId: id, status, approvers, required: 1, decidedBy });
  if (resolution.kind === 'rejected') {
    throw ApplicationFailure.create({ type: 'DELEGATION_REJECTED', message: `${refusal.message}; ${resolution.by} ended the run`, nonRetryable: true });
  }
  if (resolution.kind === 'timeout') {
    throw ApplicationFailure.create({ type: 'OAUTH_ERROR', message: `${refusal.message}; no fresh token or decision within ${timeout}`, nonRetryable: true });
  }
}

/** `scope_denied: the user does not hold …`: the OAuth code first, for a person to act on (the message is already scrubbed). */
function refusalReason(refusal: ApplicationFailure): string {
  const code = (refusal.details?.[0] as { oauth_error?: unknown } | undefined)?.oauth_error;
  return typeof code === 'string' ? `${code}: ${refusal.message}` : refusal.message;
}

async function resolve(
  interpreter: NodeContext,
  id: string,
  approvers: Approvers,
  user: string | undefined,
  deadline: number,
  onlyWaiting: () => boolean,
): Promise<Resolution> {
  const agent = interpreter.prepared.definition.id;
  for (;;) {
    const ready = () => interpreter.inbox.hasUserToken() || interpreter.inbox.hasApproval(id, onlyWaiting());
    if (!(await condition(ready, Math.max(1, deadline - Date.now())))) return { kind: 'timeout' };

    const fresh = interpreter.inbox.takeUserToken();
    if (fresh) {
      let verdict: AdoptUserTokenVerdict;
      try {
        verdict = await adoptUserToken({ nodeId: id, handle: fresh.handle, subject: user, agent, ...delegationRoot() });
      } catch (error) {
        // The token could not be checked: the user sends it again (or a human decides) once the outage is over.
        if (isOutage(error)) continue;
        throw error;
      }
      if (verdict.accepted && user !== undefined) {
        interpreter.state.delegation = { subject: user, handle: verdict.handle };
        return { kind: 'renewed' };
      }
      continue;
    }

    const signal = interpreter.inbox.takeApproval(id, onlyWaiting());
    if (!signal) continue;
    // The run's own user may end (or retry) their own run: this is not an approval of someone else's action.
    let verdict: ApprovalVerdict;
    try {
      verdict = await verifyApproval({ nodeId: id, decision: signal.decision, token: signal.token, tokenHandle: signal.token_handle, comment: signal.comment, approvers, counted: [], allowSelfApproval: true, agent });
    } catch (error) {
      if (!isOutage(error)) throw error;
      interpreter.inbox.answer(signal, { accepted: false, code: 'APPROVER_UNVERIFIED', reason: 'the decision could not be checked just now; send it again' });
      continue;
    }
    interpreter.inbox.answerVerdict(signal, verdict);
    if (!verdict.accepted) continue;
    return verdict.decision === 'reject' ? { kind: 'rejected', by: verdict.approver } : { kind: 'retry', by: verdict.approver };
  }
}

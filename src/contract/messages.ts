// What a run takes and answers: its workflow type, the signals, update and query it handles with their argument
// and answer types, and the statuses it reports. Workflow-safe (Temporal's message definitions only), so the
// workflow and every caller (client, CLI, approvals gateway) share these names and types instead of retyping them.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The workflow type every Steward run (and sub-workflow) is started as. */
export const AGENT_WORKFLOW_TYPE = 'agentWorkflow';

/** The `StewardStatus` search attribute's values; the run sets the last three just before it closes. */
export const RUN_STATUSES = ['running', 'waiting', 'awaiting_approval', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What an internal tool sends (`temporal workflow signal --name approval --input '{…}'`). Nothing in it is trusted
 *  until the run has verified the token. */
export interface ApprovalSignal {
  decision?: unknown;
  /** The approver's token, raw: it then sits in history as sent (encrypted only if sent through the codec). */
  token?: unknown;
  /** What `run.approve()` and the gateway send instead: the handle the approver's token was sealed under for this run. */
  token_handle?: unknown;
  comment?: unknown;
  /** The approval node this decision is for; optional when only one is waiting. */
  node?: unknown;
}

export const approvalSignal = defineSignal<[ApprovalSignal]>('approval');

/**
 * A fresh user token for a run whose delegation failed. It carries only the handle the client sealed the token
 * under (`run.renewUserToken`, `steward renew-token`), so no token ever reaches history.
 */
export interface UserTokenSignal {
  handle?: unknown;
}

export const userTokenSignal = defineSignal<[UserTokenSignal]>('user_token');

/** The failure type of a `decide` update whose decision is malformed: Temporal rejects it before history. */
export const DECISION_INVALID = 'DECISION_INVALID';

/**
 * Why a decision was not counted, for callers to act on without reading the message:
 * - `NOT_PENDING`: no approval waits (at that node), or it stopped waiting; try again when one does.
 * - `NODE_REQUIRED`: several approvals wait; name the node.
 * - `QUEUE_FULL`: too many decisions are already queued for the node.
 * - `APPROVER_REFUSED`: the approver's token did not verify, was spent, or its holder may not approve here.
 * - `APPROVER_UNVERIFIED`: the token could not be checked now (identity provider unreachable); send it again shortly.
 * - `DECISION_INVALID`: the decision is malformed (no token, or neither "approve" nor "reject").
 */
export const DECISION_REFUSALS = ['NOT_PENDING', 'NODE_REQUIRED', 'QUEUE_FULL', 'APPROVER_REFUSED', 'APPROVER_UNVERIFIED', DECISION_INVALID] as const;
export type DecisionRefusal = (typeof DECISION_REFUSALS)[number];

/** The answer a `decide` update gets: whether the decision was counted, and why not. */
export type DecisionAnswer =
  | { accepted: true; approver: string; decision: 'approve' | 'reject' }
  | { accepted: false; code: DecisionRefusal; reason: string };

/** The same decision as an update, for callers that want a synchronous accepted/refused answer. */
export const decideUpdate = defineUpdate<DecisionAnswer, [ApprovalSignal]>('decide');

export interface PendingWait {
  kind: 'timer' | 'signal' | 'approval';
  node: string;
  /** ISO time at which the wait gives up (or fires, for timers). */
  until?: string;
  signal?: string;
  /** Set when an approval-style wait is for a refused delegation rather than an approval node. */
  reason?: 'delegation';
}

/** The `state` query's answer: where the run is and what it waits for. */
export interface RunProgress {
  status: RunStatus;
  current: string[];
  steps: number;
  path: string[];
  pending: PendingWait[];
}

export const stateQuery = defineQuery<RunProgress>('state');

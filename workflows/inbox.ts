// Signals a run has received but not yet used: approval decisions (unverified until an activity checks them)
// and named signals that `wait` nodes wait for. Carried across continue-as-new.
import { ApplicationFailure, condition, patched, setDefaultSignalHandler, setHandler } from '@temporalio/workflow';
import { approvalSignal, decideUpdate, DECISION_INVALID, userTokenSignal, type ApprovalSignal, type DecisionAnswer, type DecisionRefusal, type UserTokenSignal } from '../src/contract/messages';

/** Decisions queued for one waiting node at most: a flood beyond it is refused, not held. */
export const MAX_QUEUED_DECISIONS = 32;
/** Named signals kept for `wait` nodes: per name, and distinct names. */
export const MAX_QUEUED_SIGNALS = 64;
export const MAX_SIGNAL_NAMES = 32;

/** A signal the inbox refused to keep, for the audit trail (the decision's token is never part of it). */
export interface RefusedSignal {
  signal: string;
  node?: string;
  reason: string;
}

export interface InboxContents {
  approvals: ApprovalSignal[];
  signals: Record<string, unknown[]>;
  userTokens?: UserTokenSignal[];
}

export class Inbox {
  private readonly approvals: ApprovalSignal[];
  /** Answers owed to `decide` callers, keyed by the decision object they sent. */
  private readonly answers = new Map<ApprovalSignal, DecisionAnswer>();
  /** Decisions a `decide` caller waits on; a raw signal's decision has no one to hear its answer. */
  private readonly awaited = new Set<ApprovalSignal>();
  /** Which approval nodes are waiting now; a decision for none of them is refused (and audited) on arrival. */
  readonly waitingApprovals = new Set<string>();
  private readonly signals: Map<string, unknown[]>;
  private readonly userTokens: UserTokenSignal[];

  constructor(carried?: InboxContents) {
    this.approvals = [...(carried?.approvals ?? [])];
    this.signals = new Map(Object.entries(carried?.signals ?? {}));
    this.userTokens = [...(carried?.userTokens ?? [])];
  }

  /** `onRefused` hears of every signal the inbox will not keep, so the run can audit it. */
  install(onRefused: (refused: RefusedSignal) => void = () => undefined): void {
    let bounded: boolean | undefined;
    // Runs recorded before the inbox was bounded replay with every signal queued, as they were.
    const isBounded = () => (bounded ??= patched('approval-inbox-bounded'));
    setHandler(approvalSignal, (decision) => {
      // Kept as received: nothing in it is trusted until verifyApproval has checked the token.
      const entry: ApprovalSignal = typeof decision === 'object' && decision !== null ? decision : {};
      if (!isBounded()) {
        this.approvals.push(entry);
        return;
      }
      // Only a node that is waiting now takes decisions: one sent earlier was made before the approver could see
      // what is being approved, and one for a node that never waits would sit here for ever.
      const refusal = this.refuseEarlyDecision(entry);
      if (refusal) {
        onRefused({ signal: 'approval', ...(typeof entry.node === 'string' ? { node: entry.node.slice(0, 64) } : {}), reason: refusal.reason });
        return;
      }
      this.approvals.push({ ...entry, node: entry.node ?? [...this.waitingApprovals][0] });
    });
    setHandler(
      decideUpdate,
      async (decision) => {
        const entry = { ...decision };
        if (isBounded()) {
          // Refused here rather than in the validator, so the refusal reaches the audit trail too.
          const refusal = this.refuseEarlyDecision(entry);
          if (refusal) {
            onRefused({ signal: 'approval', ...(typeof entry.node === 'string' ? { node: entry.node.slice(0, 64) } : {}), reason: refusal.reason });
            return { accepted: false, ...refusal };
          }
          entry.node ??= [...this.waitingApprovals][0];
        }
        this.approvals.push(entry);
        this.awaited.add(entry);
        await condition(() => this.answers.has(entry));
        const answer = this.answers.get(entry)!;
        this.answers.delete(entry);
        this.awaited.delete(entry);
        return answer;
      },
      {
        // A malformed decision never enters history: Temporal rejects the update with this typed failure.
        validator: (decision) => {
          const invalid = (message: string) => ApplicationFailure.create({ type: DECISION_INVALID, message, nonRetryable: true });
          if (typeof decision !== 'object' || decision === null) throw invalid('a decision object is required');
          if (decision.decision !== 'approve' && decision.decision !== 'reject') throw invalid('decision must be "approve" or "reject"');
          const hasToken = (value: unknown) => typeof value === 'string' && value !== '';
          if (!hasToken(decision.token) && !hasToken(decision.token_handle)) throw invalid('token is required');
        },
      },
    );
    setHandler(userTokenSignal, (signal) => {
      this.userTokens.push(typeof signal === 'object' && signal !== null ? signal : {});
    });
    setDefaultSignalHandler((name, ...args) => {
      const queue = this.signals.get(name) ?? [];
      if (isBounded() && (queue.length >= MAX_QUEUED_SIGNALS || (queue.length === 0 && this.signals.size >= MAX_SIGNAL_NAMES))) {
        onRefused({ signal: name.slice(0, 64), reason: `the run keeps at most ${MAX_QUEUED_SIGNALS} unread signals per name and ${MAX_SIGNAL_NAMES} names` });
        return;
      }
      queue.push(args.length <= 1 ? (args[0] ?? null) : args);
      this.signals.set(name, queue);
    });
  }

  /** Why a raw decision may not be queued now (the same rules the `decide` update's validator applies), if it may not. */
  private refuseEarlyDecision(decision: ApprovalSignal): { code: DecisionRefusal; reason: string } | undefined {
    const node = decision.node;
    if (this.waitingApprovals.size === 0) return { code: 'NOT_PENDING', reason: 'no approval is pending in this run' };
    if (node !== undefined && node !== null && !this.waitingApprovals.has(String(node))) {
      return { code: 'NOT_PENDING', reason: `no approval is pending at node ${String(node).slice(0, 64)}` };
    }
    if ((node === undefined || node === null) && this.waitingApprovals.size > 1) return { code: 'NODE_REQUIRED', reason: 'several approvals are pending: name the node' };
    const target = String(node ?? [...this.waitingApprovals][0]);
    if (this.approvals.filter((queued) => queued.node === target).length >= MAX_QUEUED_DECISIONS) {
      return { code: 'QUEUE_FULL', reason: `more than ${MAX_QUEUED_DECISIONS} decisions are queued for node ${target}` };
    }
    return undefined;
  }

  /** Takes the oldest approval decision addressed to `node` (or to no node in particular, when `node` is the only one waiting). */
  takeApproval(node: string, onlyWaiting: boolean): ApprovalSignal | undefined {
    const index = this.approvals.findIndex((a) => a.node === node || ((a.node === undefined || a.node === null) && onlyWaiting));
    return index < 0 ? undefined : this.approvals.splice(index, 1)[0];
  }

  /** Once a node stops waiting, decisions still queued for it are answered as refused (none is left hanging). */
  refuseWaitingDecisions(node: string, onlyWaiting: boolean): void {
    let decision: ApprovalSignal | undefined;
    while ((decision = this.takeApproval(node, onlyWaiting))) this.answers.set(decision, { accepted: false, code: 'NOT_PENDING', reason: 'the approval is no longer pending' });
  }

  /** True when a `decide` caller waits for this decision's answer; false for a raw signal's. */
  isAwaited(decision: ApprovalSignal): boolean {
    return this.awaited.has(decision);
  }

  /** Records the answer to a decision; a `decide` caller waiting for it gets it. */
  answer(decision: ApprovalSignal, answer: DecisionAnswer): void {
    this.answers.set(decision, answer);
  }

  /** Answers a decision with the verifier's verdict on it. */
  answerVerdict(decision: ApprovalSignal, verdict: { accepted: true; approver: string; decision: 'approve' | 'reject' } | { accepted: false; reason: string }): void {
    this.answer(decision, verdict.accepted ? { accepted: true, approver: verdict.approver, decision: verdict.decision } : { accepted: false, code: 'APPROVER_REFUSED', reason: verdict.reason });
  }

  hasApproval(node: string, onlyWaiting: boolean): boolean {
    return this.approvals.some((a) => a.node === node || ((a.node === undefined || a.node === null) && onlyWaiting));
  }

  takeSignal(name: string): { found: boolean; payload?: unknown } {
    const queue = this.signals.get(name);
    if (!queue || queue.length === 0) return { found: false };
    return { found: true, payload: queue.shift() };
  }

  hasSignal(name: string): boolean {
    return (this.signals.get(name)?.length ?? 0) > 0;
  }

  hasUserToken(): boolean {
    return this.userTokens.length > 0;
  }

  takeUserToken(): UserTokenSignal | undefined {
    return this.userTokens.shift();
  }

  contents(): InboxContents {
    return {
      approvals: [...this.approvals],
      signals: Object.fromEntries(this.signals),
      ...(this.userTokens.length > 0 ? { userTokens: [...this.userTokens] } : {}),
    };
  }
}

// A handle on one run: its ids, where to see it, and its typed result.
import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { DECISION_INVALID, decideUpdate, stateQuery, userTokenSignal, type DecisionAnswer, type RunProgress } from '../contract/messages';
import { StewardError } from '../errors';
import { TokenInvalidError } from '../identity/errors';
import type { UserTokenHandle } from '../identity/user-token-handle';
import { describeRunFailure, type RunFailureReport } from './run-failure';

export interface ApprovalRequest {
  /** The approver's token from the identity provider: their proof of identity. */
  token: string;
  comment?: string;
  /** The approval node; optional when only one is waiting. */
  node?: string;
}

/** How a run ended: its output, or why it did not complete (its message's PII masked). */
export type RunOutcome<TOutput> = { status: 'completed'; result: TOutput } | { status: 'failed'; error: RunFailureReport };

/** Whether a decision was counted; when not, `code` says why (see DECISION_REFUSALS) and `reason` says it to people. */
export type ApprovalAnswer = DecisionAnswer;

const QUERY_ATTEMPTS = 2;
const GRPC_DEADLINE_EXCEEDED = 4;

/** A query that timed out on the server because no Worker took it. */
function isUntakenQuery(error: unknown): boolean {
  return (error as { cause?: { code?: unknown } } | null)?.cause?.code === GRPC_DEADLINE_EXCEEDED;
}

export class RunHandle<TOutput = unknown> {
  constructor(
    private readonly handle: WorkflowHandle,
    readonly namespace: string,
    readonly runId: string,
    private readonly uiBaseUrl: string,
    /** Verifies and seals a user's or approver's token for this run; the run is only ever sent the handle. */
    private readonly sealUserToken?: (token: string, stage: 'renew' | 'approve') => Promise<UserTokenHandle>,
    /** Asks for the tenant's Worker to be started: a query, unlike any other request, does not wake an idle tenant. */
    private readonly wake: () => Promise<void> = async () => undefined,
  ) {}

  get workflowId(): string {
    return this.handle.workflowId;
  }

  /** The run's page in the Temporal Web UI. */
  get uiUrl(): string {
    return `${this.uiBaseUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(this.workflowId)}/${this.runId}/history`;
  }

  /** Waits for the run to finish and returns the output of its `end` node. */
  result(): Promise<TOutput> {
    return this.handle.result() as Promise<TOutput>;
  }

  /** Waits for the run to finish; a failure (or a cancellation, a termination) comes back as its root cause, not thrown. */
  async outcome(): Promise<RunOutcome<TOutput>> {
    try {
      return { status: 'completed', result: await this.result() };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      return { status: 'failed', error: describeRunFailure(error) };
    }
  }

  async status(): Promise<string> {
    return (await this.handle.describe()).status.name;
  }

  /** The run's event history, as Temporal recorded it. */
  fetchHistory() {
    return this.handle.fetchHistory();
  }

  describe() {
    return this.handle.describe();
  }

  /** Where the run is: status, current node(s), steps, visited path and pending waits. */
  progress(): Promise<RunProgress> {
    return this.query<RunProgress>(stateQuery.name);
  }

  async query<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      await this.wake().catch(() => undefined);
      try {
        return await this.handle.query<T, unknown[]>(name, ...args);
      } catch (error) {
        // The server gives up on a query no Worker took within 30 s; a tenant woken on a loaded machine (or by a worker
        // process still starting) may need longer, so the query is asked once more before the error is the caller's.
        if (attempt >= QUERY_ATTEMPTS || !isUntakenQuery(error)) throw error;
      }
    }
  }

  signal(name: string, ...args: unknown[]): Promise<void> {
    return this.handle.signal<unknown[]>(name, ...args);
  }

  /** Approves the run's pending approval; the answer says whether the decision was counted, and why not. */
  approve(request: ApprovalRequest): Promise<ApprovalAnswer> {
    return this.decide('approve', request);
  }

  reject(request: ApprovalRequest): Promise<ApprovalAnswer> {
    return this.decide('reject', request);
  }

  /**
   * The approver's token is verified and sealed here for this run; the update carries only its handle, so neither
   * history nor a decoded view of it ever shows the token. The run spends the token on its first use.
   */
  private async decide(decision: 'approve' | 'reject', request: ApprovalRequest): Promise<ApprovalAnswer> {
    if (!this.sealUserToken) throw new StewardError('CONFIG_INVALID', 'this client cannot verify approver tokens (no identity provider or keys configured)');
    let sealed: UserTokenHandle;
    try {
      sealed = await this.sealUserToken(request.token, 'approve');
    } catch (error) {
      if (error instanceof TokenInvalidError && error.reason !== 'jwks_unavailable') {
        return { accepted: false, code: 'APPROVER_REFUSED', reason: `approver token refused: ${error.reason}` };
      }
      throw error;
    }
    const { token: _token, ...rest } = request;
    try {
      return await this.handle.executeUpdate(decideUpdate, { args: [{ decision, ...rest, token_handle: sealed.handle }] });
    } catch (error) {
      // The validator's refusal is an answer, not a crash; so is a run that closed while the decision was in flight.
      if (error instanceof WorkflowUpdateFailedError) {
        const invalid = error.cause instanceof ApplicationFailure && error.cause.type === DECISION_INVALID;
        return { accepted: false, code: invalid ? DECISION_INVALID : 'NOT_PENDING', reason: error.cause?.message ?? error.message };
      }
      if (error instanceof WorkflowNotFoundError) throw new StewardError('NOT_FOUND', `run ${this.workflowId} has ended or does not exist: nothing to approve`);
      throw error;
    }
  }

  /**
   * Gives a run whose delegation was refused (expired, revoked or under-scoped token) a fresh token of its user.
   * The token is verified and sealed here; the run receives only its handle and checks it is the same user.
   */
  async renewUserToken(token: string): Promise<void> {
    if (!this.sealUserToken) throw new StewardError('CONFIG_INVALID', 'this client cannot keep user tokens (no identity provider or keys configured)');
    const { handle } = await this.sealUserToken(token, 'renew');
    await this.handle.signal(userTokenSignal, { handle });
  }

  async cancel(): Promise<void> {
    await this.handle.cancel();
  }
}

// A handle on one run: its ids, where to see it, and its typed result.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { StewardError } from '../errors';

export interface ApprovalRequest {
  /** The approver's token from the identity provider: their proof of identity. */
  token: string;
  comment?: string;
  /** The approval node; optional when only one is waiting. */
  node?: string;
}

export type ApprovalAnswer = { accepted: true; approver: string; decision: 'approve' | 'reject' } | { accepted: false; reason: string };

export class RunHandle<TOutput = unknown> {
  constructor(
    private readonly handle: WorkflowHandle,
    readonly namespace: string,
    readonly runId: string,
    private readonly uiBaseUrl: string,
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

  query<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    return this.handle.query<T, unknown[]>(name, ...args);
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

  private async decide(decision: 'approve' | 'reject', request: ApprovalRequest): Promise<ApprovalAnswer> {
    try {
      return await this.handle.executeUpdate<ApprovalAnswer, [unknown]>('decide', { args: [{ decision, ...request }] });
    } catch (error) {
      // The validator's refusal (nothing pending, wrong node) is an answer, not a crash.
      if (error instanceof WorkflowUpdateFailedError) return { accepted: false, reason: error.cause?.message ?? error.message };
      if (error instanceof Error && /already completed|not found/i.test(error.message)) {
        throw new StewardError('NOT_FOUND', `run ${this.workflowId} has ended or does not exist: nothing to approve`);
      }
      throw error;
    }
  }

  async cancel(): Promise<void> {
    await this.handle.cancel();
  }
}

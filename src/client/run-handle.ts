// A handle on one run: its ids, where to see it, and its typed result.
import type { WorkflowHandle } from '@temporalio/client';

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

  async cancel(): Promise<void> {
    await this.handle.cancel();
  }
}

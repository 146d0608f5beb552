// Signals a run has received but not yet used: approval decisions (unverified until an activity checks them)
// and named signals that `wait` nodes wait for. Carried across continue-as-new.
import { defineSignal, setDefaultSignalHandler, setHandler } from '@temporalio/workflow';

/** What an internal tool sends (`temporal workflow signal --name approval --input '{…}'`). */
export interface ApprovalSignal {
  decision?: unknown;
  token?: unknown;
  comment?: unknown;
  /** The approval node this decision is for; optional when only one is waiting. */
  node?: unknown;
}

export const approvalSignal = defineSignal<[ApprovalSignal]>('approval');

export interface InboxContents {
  approvals: ApprovalSignal[];
  signals: Record<string, unknown[]>;
}

export class Inbox {
  private readonly approvals: ApprovalSignal[];
  private readonly signals: Map<string, unknown[]>;

  constructor(carried?: InboxContents) {
    this.approvals = [...(carried?.approvals ?? [])];
    this.signals = new Map(Object.entries(carried?.signals ?? {}));
  }

  install(): void {
    setHandler(approvalSignal, (decision) => {
      // Kept as received: nothing in it is trusted until verifyApproval has checked the token.
      this.approvals.push(typeof decision === 'object' && decision !== null ? decision : {});
    });
    setDefaultSignalHandler((name, ...args) => {
      const queue = this.signals.get(name) ?? [];
      queue.push(args.length <= 1 ? (args[0] ?? null) : args);
      this.signals.set(name, queue);
    });
  }

  /** Takes the oldest approval decision addressed to `node` (or to no node in particular, when `node` is the only one waiting). */
  takeApproval(node: string, onlyWaiting: boolean): ApprovalSignal | undefined {
    const index = this.approvals.findIndex((a) => a.node === node || ((a.node === undefined || a.node === null) && onlyWaiting));
    return index < 0 ? undefined : this.approvals.splice(index, 1)[0];
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

  contents(): InboxContents {
    return { approvals: [...this.approvals], signals: Object.fromEntries(this.signals) };
  }
}

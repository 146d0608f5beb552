// A run that fails at a step says which node failed and why: an activity's or child run's failure reaches the
// caller as the root cause's own type and message, with the node in its details, instead of Temporal's bare
// "Activity task failed". The original failure stays as its cause. Runs recorded before this replay unchanged.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, patched, TemporalFailure } from '@temporalio/workflow';
import type { FailedNodeDetails } from '../src/contract/failures';

export const FAILURE_NAMES_NODE_PATCH = 'failure-names-node';

/** Remembers the innermost node each failure left, so a failure crossing a `parallel` node keeps its branch's node. */
export class FailedNodes {
  private readonly at = new WeakMap<object, string>();

  mark(error: unknown, node: string): void {
    if (typeof error === 'object' && error !== null && !this.at.has(error)) this.at.set(error, node);
  }

  /** The failure the run ends with: the step's root cause, named after its node, when a step's failure ends it. */
  attribute(error: unknown): unknown {
    if (!(error instanceof ActivityFailure || error instanceof ChildWorkflowFailure)) return error;
    const node = this.at.get(error);
    if (node === undefined || !patched(FAILURE_NAMES_NODE_PATCH)) return error;
    const root = rootCause(error);
    const details: FailedNodeDetails = { node };
    return ApplicationFailure.create({ type: root.type, message: root.message, nonRetryable: true, details: [details], cause: error });
  }
}

/** The first typed failure under the wrappers (an ApplicationFailure's type, else the failure's kind). */
function rootCause(error: TemporalFailure): { type: string; message: string } {
  let current: unknown = error;
  let innermost: Error = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type) return { type: current.type, message: current.message };
    innermost = current;
    current = current.cause;
  }
  return { type: innermost.name, message: innermost.message };
}

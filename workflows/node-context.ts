// What a node handler (approval, llm, tool step, delegation escalation) may use of the run it belongs to. The
// Interpreter implements it; handlers depend on this interface, never on the Interpreter itself, so the
// interpreter imports its handlers and nothing imports back.
import type { Activities } from '../activities';
import type { PreparedRun } from '../activities/prepare-run';
import type { EnclosingRun } from '../src/llm/budget';
import type { Retry } from '../src/ir/schema';
import type { Inbox } from './inbox';
import type { PendingWait } from '../src/contract/messages';
import type { RunState } from './run-state';

export interface NodeContext {
  readonly prepared: PreparedRun;
  readonly state: RunState;
  readonly inbox: Inbox;
  /** The waits the run is in now, for the state query. */
  readonly pending: readonly PendingWait[];
  /** The runs whose caps this run's model calls count against besides its own, root first. */
  readonly enclosing: readonly EnclosingRun[];
  /** Marks the run as waiting while `work` runs. */
  waiting<T>(wait: PendingWait, work: () => Promise<T>): Promise<T>;
  /** Activities with the node's timeout and retry policy; `heartbeats`: true for the default heartbeat timeout, or the timeout itself. */
  activities(node: { timeout?: string; retry?: Retry }, heartbeats?: boolean | string): Activities;
}

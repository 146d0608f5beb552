// What a run knows while it executes: its input, variables, node outputs and progress. Plain JSON, so it can be
// queried, carried across continue-as-new and read by expressions.
import type { UserTokenHandle } from '../src/identity/user-token-handle';
import type { ExpressionScope } from '../src/ir/expressions';

export interface RunIdentity {
  id: string;
  tenant: string;
  workflow: string;
  version: number;
  started_at: string;
  /** The user the run acts for (their subject), when it was started with a user token. */
  user?: string;
}

export interface RunState {
  input: unknown;
  vars: Record<string, unknown>;
  nodes: Record<string, { output?: unknown; error?: { type: string; message: string } }>;
  run: RunIdentity;
  steps: number;
  /** Node ids in the order they ran (the last PATH_KEPT of them). */
  path: string[];
  /** How often each node has run: loop iterations get distinct child ids and idempotency keys. */
  visits: Record<string, number>;
  /** Where the user's token is kept (never the token): replaced when the user sends a fresh one. */
  delegation?: UserTokenHandle;
}

export const PATH_KEPT = 200;

export function scopeOf(state: RunState): ExpressionScope {
  return { input: state.input, vars: state.vars, nodes: state.nodes, run: state.run as unknown as Record<string, unknown> };
}

// Why a run failed, for people and for code: the root cause's failure type (RUN_FAILURES), the node it failed at and
// its message, read from the failure chain Temporal hands back instead of the wrapper's "Activity task failed".
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { FailedNodeDetails } from '../contract/failures';
import { redactText } from '../pii';

export interface RunFailureReport {
  /** A type of the catalogue (`SECRET_DENIED`, `WAIT_TIMEOUT`…), or `CANCELLED`, `TERMINATED`, `TIMED_OUT` for runs ended from outside. */
  type: string;
  /** The node the run failed at, when a node failed it. */
  node: string | null;
  /** What happened, for people: secrets were scrubbed where the failure was made; PII is masked unless kept on request. */
  message: string;
}

// A node id as the IR allows it, after `nodes.` in a failure message (runs recorded before failures named their node).
const NODE_IN_MESSAGE = /\bnodes\.([A-Za-z_][A-Za-z0-9_]*)/;

/**
 * The report of a run's failure (a WorkflowFailedError, or the failure decoded from its history). `revealPii`: the
 * message keeps PII as decoded (for a caller holding `pii:read`); otherwise detected PII is masked.
 */
export function describeRunFailure(error: unknown, options: { revealPii?: boolean } = {}): RunFailureReport {
  const chain: Error[] = [];
  for (let current: unknown = error; current instanceof Error && chain.length < 32; current = current.cause) chain.push(current);
  const root = chain.find((failure): failure is ApplicationFailure => failure instanceof ApplicationFailure && Boolean(failure.type));
  const outside = chain.find((failure) => failure instanceof CancelledFailure || failure instanceof TerminatedFailure || failure instanceof TimeoutFailure);
  const innermost = chain[chain.length - 1];
  const type = root?.type ?? (outside ? outsideType(outside) : (innermost?.name ?? 'UNKNOWN'));
  const message = (root ?? outside ?? innermost)?.message ?? 'the run failed';
  return { type, node: nodeOf(chain), message: options.revealPii ? message : redactText(message, { mode: 'mask' }) };
}

function outsideType(failure: Error): string {
  if (failure instanceof CancelledFailure) return 'CANCELLED';
  if (failure instanceof TerminatedFailure) return 'TERMINATED';
  return 'TIMED_OUT';
}

/** The node the run named in its failure's details, else the first `nodes.<id>` a message of the chain names. */
function nodeOf(chain: readonly Error[]): string | null {
  for (const failure of chain) {
    if (!(failure instanceof ApplicationFailure)) continue;
    const details = failure.details?.[0] as Partial<FailedNodeDetails> | undefined;
    if (typeof details?.node === 'string') return details.node;
  }
  for (const failure of chain) {
    const match = NODE_IN_MESSAGE.exec(failure.message);
    if (match) return match[1]!;
  }
  return null;
}

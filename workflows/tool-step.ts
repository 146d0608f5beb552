// Runs one tool step: the `runTool` activity with the node's retry and timeout, an Idempotency-Key for
// irreversible steps, and the run's user for steps that act on their behalf. Tool nodes and tool calls requested
// by a model inside an `llm` node both come here, so every tool call gets the same scopes, secrets and audit.
// A refused delegation (expired, revoked or under-scoped user token) does not fail silently or retry forever: the
// run escalates to a human and waits for a fresh user token or a decision.
import { ActivityFailure, ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import type { ToolCallResult } from '../activities/tool';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { ToolNode } from '../src/ir/schema';
import { awaitFreshDelegation, delegationRoot } from './delegation-escalation';
import { outlastingOutages } from './dependency-wait';
import { evaluateField } from './expression-failure';
import type { NodeContext } from './node-context';

/** Tool steps heartbeat, so a worker that dies mid-call has its attempt retried after this, not after the step's timeout. */
const TOOL_HEARTBEAT_PATCH = 'tool-heartbeat';
const TOOL_HEARTBEAT_TIMEOUT = '10 seconds';

export async function runToolStep(interpreter: NodeContext, id: string, node: ToolNode, scope: ExpressionScope): Promise<ToolCallResult> {
  const visit = interpreter.state.visits[id] ?? 1;
  const idempotencyKey = node.idempotency_key
    ? String(evaluateField(id, 'idempotency_key', () => renderTemplate(node.idempotency_key, scope)))
    : node.irreversible
      ? `${workflowInfo().workflowId}:${id}:${visit}`
      : undefined;
  const definition = interpreter.prepared.definition;
  for (;;) {
    try {
      return await outlastingOutages(interpreter.prepared, (outages) =>
        interpreter.activities(node, patched(TOOL_HEARTBEAT_PATCH) ? TOOL_HEARTBEAT_TIMEOUT : false).runTool({
          nodeId: id,
          node,
          scope,
          secretReferences: definition.secrets ?? {},
          idempotencyKey,
          agent: definition.id,
          ...(node.oauth_scopes ? { user: interpreter.state.delegation, oauth: definition.oauth, ...delegationRoot() } : {}),
          ...outages,
        }),
      );
    } catch (error) {
      const refusal = delegationRefusal(error);
      if (!node.oauth_scopes || !refusal) throw error;
      // Returns once a fresh token is adopted (or a human says try again); throws when the run is to end.
      await awaitFreshDelegation(interpreter, id, refusal);
    }
  }
}

/** Refusals a human can fix with a fresh or better-scoped user token; an agent misconfiguration just fails the step. */
const USER_SIDE_REFUSALS: ReadonlySet<string> = new Set(['invalid_token', 'token_inactive', 'scope_denied', 'invalid_grant', 'invalid_scope']);

function delegationRefusal(error: unknown): ApplicationFailure | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return undefined;
  const failure = error.cause;
  if (failure.type !== 'OAUTH_ERROR') return undefined;
  const code = (failure.details?.[0] as { oauth_error?: unknown } | undefined)?.oauth_error;
  return typeof code === 'string' && USER_SIDE_REFUSALS.has(code) ? failure : undefined;
}

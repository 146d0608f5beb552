// Runs one tool step: the `runTool` activity with the node's retry and timeout, an Idempotency-Key for
// irreversible steps, and the run's user for steps that act on their behalf. Tool nodes and tool calls requested
// by a model inside an `llm` node both come here, so every tool call gets the same scopes, secrets and audit.
// A refused delegation (expired, revoked or under-scoped user token) does not fail silently or retry forever: the
// run escalates to a human and waits for a fresh user token or a decision.
import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { ToolCallResult } from '../activities/tool';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { ToolNode } from '../src/ir/schema';
import { awaitFreshDelegation } from './delegation-escalation';
import type { Interpreter } from './interpreter';

export async function runToolStep(interpreter: Interpreter, id: string, node: ToolNode, scope: ExpressionScope): Promise<ToolCallResult> {
  const visit = interpreter.state.visits[id] ?? 1;
  const idempotencyKey = node.idempotency_key
    ? String(renderTemplate(node.idempotency_key, scope))
    : node.irreversible
      ? `${workflowInfo().workflowId}:${id}:${visit}`
      : undefined;
  const definition = interpreter.prepared.definition;
  for (;;) {
    try {
      return await interpreter.activities(node).runTool({
        nodeId: id,
        node,
        scope,
        secretReferences: definition.secrets ?? {},
        idempotencyKey,
        agent: definition.id,
        ...(node.oauth_scopes ? { user: interpreter.state.delegation, oauth: definition.oauth } : {}),
      });
    } catch (error) {
      const refusal = delegationRefusal(error);
      if (!node.oauth_scopes || !refusal) throw error;
      // Returns once a fresh token is adopted (or a human says try again); throws when the run is to end.
      await awaitFreshDelegation(interpreter, id, refusal);
    }
  }
}

function delegationRefusal(error: unknown): ApplicationFailure | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return undefined;
  return error.cause.type === 'OAUTH_ERROR' ? error.cause : undefined;
}

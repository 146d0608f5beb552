// The input guard for one model turn of an llm step: the run data prompt templates read (input, vars, node outputs)
// and the tool results in the conversation are untrusted. Each is scanned and the node's policy applied. Only what
// is new in this turn is reported (the run data on the first turn, the latest tool results after that), so a
// finding is audited once although every turn re-applies the policy to the whole conversation. Pure.
import type { ExpressionScope } from '../../ir/expressions';
import type { ChatMessage } from '../types';
import { applyInputGuard, type InputGuardPolicy } from './apply-input-guard';
import { guardValue, type ValueFinding } from './guard-values';

export const DEFAULT_INPUT_GUARD: InputGuardPolicy = 'flag';

export interface GuardedTurn {
  scope: ExpressionScope;
  conversation: ChatMessage[];
  /** Findings new in this turn, for the audit trail. */
  findings: ValueFinding[];
  blocked: boolean;
}

/** Index of the first message of this turn's tool results (those after the model's latest answer). */
function firstNewMessage(conversation: ChatMessage[]): number {
  for (let index = conversation.length - 1; index >= 0; index -= 1) {
    if (conversation[index]!.role === 'assistant') return index + 1;
  }
  return 0;
}

export function guardTurn(scope: ExpressionScope, conversation: ChatMessage[], policy: InputGuardPolicy): GuardedTurn {
  const findings: ValueFinding[] = [];
  let blocked = false;
  const firstTurn = conversation.length === 0;
  const guardRoot = <T>(value: T, root: string): T => {
    const guarded = guardValue(value, policy, root);
    if (firstTurn) findings.push(...guarded.findings);
    blocked ||= guarded.blocked;
    return guarded.value;
  };
  const guardedScope: ExpressionScope = {
    ...scope,
    input: guardRoot(scope.input, 'input'),
    vars: guardRoot(scope.vars, 'vars'),
    nodes: guardRoot(scope.nodes, 'nodes'),
  };
  const newFrom = firstNewMessage(conversation);
  const guardedConversation = conversation.map((message, index): ChatMessage => {
    if (message.role !== 'tool') return message;
    const result = applyInputGuard(message.content, policy);
    if (index >= newFrom) {
      for (const finding of result.findings) {
        findings.push({ path: `tool:${message.name}`, kind: finding.kind, rule: finding.rule, ...(finding.hidden ? { hidden: true as const } : {}) });
      }
      blocked ||= result.blocked;
    }
    return { ...message, content: result.blocked ? '' : result.text };
  });
  return { scope: guardedScope, conversation: guardedConversation, findings, blocked };
}

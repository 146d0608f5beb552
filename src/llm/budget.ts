// Budget caps checked BEFORE each model call: the call is refused when it would exceed max_llm_calls, or when the
// cost so far plus the call's worst-case estimate would pass max_cost_usd. Pure: safe in workflows.
import { LlmError } from './errors';
import { usdToMicroUsd, type MicroUsd } from './prices';

export interface BudgetLimits {
  max_llm_calls?: number;
  max_cost_usd?: number;
}

/**
 * A run that encloses the calling run (its parent, the parent's parent, … up to the root), with its caps: a call of
 * a sub-workflow counts against each of them, together with everything else their sub-workflows spent.
 */
export interface EnclosingRun {
  workflowId: string;
  limits: BudgetLimits;
}

export interface BudgetCheck {
  /** Model calls already made (or under way) in this scope. */
  callsSoFar: number;
  /** Spent so far, with what calls under way may still cost (the ledger counts them at their estimate). */
  costSoFarMicroUsd: MicroUsd;
  limits: BudgetLimits;
  /** Worst-case cost of the next call (its output allowance included); refuses early rather than overshoot. */
  estimatedCostMicroUsd?: MicroUsd;
  /** Which budget this is, for the message: `run` (default), `agent`, `tenant daily`. */
  scope?: string;
}

export type BudgetDecision =
  | { allowed: true }
  | { allowed: false; limit: 'max_llm_calls' | 'max_cost_usd'; message: string };

export function checkBudget(check: BudgetCheck): BudgetDecision {
  const scope = check.scope ?? 'run';
  const { max_llm_calls: maxCalls, max_cost_usd: maxCostUsd } = check.limits;
  if (maxCalls !== undefined && check.callsSoFar + 1 > maxCalls) {
    return { allowed: false, limit: 'max_llm_calls', message: `${scope} budget: max_llm_calls (${maxCalls}) reached` };
  }
  if (maxCostUsd !== undefined) {
    const cap = usdToMicroUsd(maxCostUsd);
    const projected = check.costSoFarMicroUsd + (check.estimatedCostMicroUsd ?? 0);
    // At the cap exactly, nothing is left for another call, whose cost is only known afterwards.
    if (check.costSoFarMicroUsd >= cap || projected > cap) {
      return { allowed: false, limit: 'max_cost_usd', message: `${scope} budget: max_cost_usd (${maxCostUsd}) would be exceeded` };
    }
  }
  return { allowed: true };
}

/** Throws LlmError BUDGET_EXCEEDED (not retryable) when `checkBudget` refuses. */
export function assertWithinBudget(check: BudgetCheck): void {
  const decision = checkBudget(check);
  if (!decision.allowed) throw new LlmError('BUDGET_EXCEEDED', decision.message, { retryable: false });
}

// A run-time budget for CEL evaluation: every step the evaluator takes, and the length of every string, list or map
// a step yields, is charged, and an evaluation that passes the budget stops at once. Workflow-safe (pure).
// cel-js has structural parse limits but no evaluation budget; its evaluator runs every sub-expression through
// `evaluator.run(ast, ctx)` (the entry point its macro API documents), so the budget meters that one method.
import type { Environment } from '@marcbachmann/cel-js';

/** Budget units one evaluation may spend: a few hundred milliseconds of a worker at most. */
export const MAX_EVALUATION_COST = 1_000_000;

interface Evaluator {
  run(ast: { op: string }, context: unknown): unknown;
}

// Steps that hand back a loop's own accumulator. Charging its growing length on every step of the loop (the push,
// or a filter's ternary returning it) would make a plain `map` quadratic; the pushes are already counted as steps.
const ACCUMULATOR_STEPS = new Set(['accuPush', 'accuValue']);

class Meter {
  spent = 0;
  exceeded = false;
  readonly accumulators = new WeakSet<object>();

  chargeResult(op: string, result: unknown): void {
    if (typeof result === 'object' && result !== null) {
      if (ACCUMULATOR_STEPS.has(op)) this.accumulators.add(result);
      if (this.accumulators.has(result)) return;
    }
    this.charge(sizeOf(result));
  }

  charge(units: number): void {
    this.spent += units;
    if (this.spent > MAX_EVALUATION_COST) {
      this.exceeded = true;
      // Thrown on every later step too, so an `exists`/`all` that absorbs one error cannot carry on.
      throw new BudgetExceeded();
    }
  }
}

class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value) || value instanceof Uint8Array) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length;
  return 0;
}

// Reaches the environment's evaluator through the root node of one throwaway evaluation: the root is called as
// `ast.evaluate(evaluator, ast, context)`.
function findEvaluator(environment: Environment): Evaluator {
  const probe = environment.parse('true');
  const root = probe.ast as unknown as { evaluate: (evaluator: Evaluator, ...rest: unknown[]) => unknown };
  const evaluate = root.evaluate;
  let found: Evaluator | undefined;
  root.evaluate = function (this: unknown, evaluator: Evaluator, ...rest: unknown[]) {
    found = evaluator;
    return evaluate.call(this, evaluator, ...rest);
  };
  probe({});
  if (typeof found?.run !== 'function') throw new TypeError('the CEL evaluator cannot be metered: its run method is missing');
  return found;
}

export interface MeteredEvaluation<T> {
  value?: T;
  error?: unknown;
  exceeded: boolean;
}

/** Meters every evaluation of `environment` run through the returned function. Evaluation is synchronous. */
export function createMeteredEvaluation(environment: Environment): <T>(work: () => T) => MeteredEvaluation<T> {
  const evaluator = findEvaluator(environment);
  const run = evaluator.run.bind(evaluator);
  let active: Meter | undefined;
  evaluator.run = (ast, context) => {
    const meter = active;
    if (meter === undefined) return run(ast, context);
    meter.charge(1);
    const result = run(ast, context);
    meter.chargeResult(ast.op, result);
    return result;
  };
  return <T>(work: () => T): MeteredEvaluation<T> => {
    const meter = new Meter();
    const outer = active;
    active = meter;
    try {
      return { value: work(), exceeded: meter.exceeded };
    } catch (error) {
      return { error, exceeded: meter.exceeded };
    } finally {
      active = outer;
    }
  };
}

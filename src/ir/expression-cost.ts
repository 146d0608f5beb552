// A static upper estimate of what evaluating a CEL expression can cost, so validation refuses expressions whose
// nested loops or growing values would stall a worker before any run reaches them. Workflow-safe (pure).
// The unit matches the run-time budget: one per evaluation step, plus the length of every string, list or map a
// step yields. Data (input, vars, node outputs) is assumed to hold collections and strings of ASSUMED_DATA_SIZE.
import type { ASTNode } from '@marcbachmann/cel-js';

/** How long validation assumes lists, maps and strings from run data to be. */
export const ASSUMED_DATA_SIZE = 100;

/**
 * Validation refuses an expression estimated above this. The estimate assumes every value read from data is
 * ASSUMED_DATA_SIZE long at every depth, so it overstates real costs by orders of magnitude: the bound refuses loops
 * nested three deep over data (or a literal list nested five deep) and lets two-deep loops through, leaving the
 * run-time budget to stop the rare data that makes them too costly.
 */
export const MAX_ESTIMATED_COST = 100_000_000;

/** What one evaluation of a node costs, and the longest string, list or map (at any depth) its value can hold. */
interface Estimate {
  cost: number;
  size: number;
}

type Bound = ReadonlyMap<string, number>;

const COMPREHENSIONS = new Set(['map', 'filter', 'all', 'exists', 'exists_one']);
const SIZE_KEEPING_CALLS = new Set(['string', 'bytes', 'dyn', 'trim', 'lowerAscii', 'upperAscii', 'substring', 'split', 'json']);

const step = (children: readonly Estimate[], size: number): Estimate => ({
  cost: children.reduce((total, child) => total + child.cost, 1 + size),
  size,
});

const largest = (estimates: readonly Estimate[]): number => estimates.reduce((most, item) => Math.max(most, item.size), 1);

/** The estimated cost of one evaluation of `ast`, in run-time budget units (Infinity when it cannot be bounded). */
export function estimateExpressionCost(ast: ASTNode): number {
  return estimate(ast, new Map()).cost;
}

function estimate(node: ASTNode, bound: Bound): Estimate {
  switch (node.op) {
    case 'value':
      return { cost: 1, size: typeof node.args === 'string' || node.args instanceof Uint8Array ? Math.max(1, node.args.length) : 1 };
    case 'id': {
      const size = bound.get(node.args) ?? ASSUMED_DATA_SIZE;
      return { cost: 1 + size, size };
    }
    case '.':
    case '.?': {
      const target = estimate(node.args[0], bound);
      return step([target], target.size);
    }
    case '[]':
    case '[?]': {
      const [target, key] = node.args.map((arg) => estimate(arg, bound)) as [Estimate, Estimate];
      return step([target, key], target.size);
    }
    case 'list': {
      const items = node.args.map((item) => estimate(item, bound));
      return step(items, Math.max(items.length, largest(items)));
    }
    case 'map': {
      const entries = node.args.flatMap((entry) => entry.map((part) => estimate(part, bound)));
      return step(entries, Math.max(node.args.length, largest(entries)));
    }
    case '+': {
      const operands = node.args.map((arg) => estimate(arg, bound));
      return step(operands, operands.reduce((total, operand) => total + operand.size, 0));
    }
    case '?:': {
      const [condition, ...branches] = node.args.map((arg) => estimate(arg, bound)) as [Estimate, Estimate, Estimate];
      return step([condition, ...branches], largest(branches));
    }
    case 'rcall':
      return estimateMethod(node.args[0], node.args[1], node.args[2], bound);
    case 'call':
      return estimateCall(node.args[0], node.args[1], bound);
    case '!_':
    case '-_':
      return step([estimate(node.args, bound)], 1);
    default:
      // Comparisons, logic and arithmetic: their operands are already paid for; the result is a scalar.
      return step((node.args as ASTNode[]).map((arg) => estimate(arg, bound)), 1);
  }
}

function estimateCall(name: string, args: readonly ASTNode[], bound: Bound): Estimate {
  // has(x.y) reads a field without evaluating it.
  if (name === 'has') return { cost: 2, size: 1 };
  const estimates = args.map((arg) => estimate(arg, bound));
  return step(estimates, SIZE_KEEPING_CALLS.has(name) ? largest(estimates) : 1);
}

function estimateMethod(name: string, receiver: ASTNode, args: readonly ASTNode[], bound: Bound): Estimate {
  if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel') return estimateBind(args, bound);
  const target = estimate(receiver, bound);
  if (COMPREHENSIONS.has(name)) return estimateComprehension(name, target, args, bound);
  const estimates = args.map((arg) => estimate(arg, bound));
  if (name === 'join') {
    // Every element plus a separator each: a list of strings joins into up to size × (size + separator) characters.
    const separator = estimates[0]?.size ?? 0;
    return step([target, ...estimates], target.size * (target.size + separator));
  }
  return step([target, ...estimates], SIZE_KEEPING_CALLS.has(name) ? target.size : 1);
}

// cel.bind(name, value, body): the body sees `name` with the value's size, so a chain of doublings is seen.
function estimateBind(args: readonly ASTNode[], bound: Bound): Estimate {
  const [variable, value, body] = args;
  if (variable?.op !== 'id' || value === undefined || body === undefined) return { cost: Infinity, size: Infinity };
  const initial = estimate(value, bound);
  const result = estimate(body, new Map(bound).set(variable.args, initial.size));
  return { cost: initial.cost + result.cost + 1, size: result.size };
}

// A loop runs its body (and filter) once per element of its range; its variable holds an element (or key) of it.
function estimateComprehension(name: string, range: Estimate, args: readonly ASTNode[], bound: Bound): Estimate {
  const [variable, ...rest] = args;
  const inner = variable?.op === 'id' ? new Map(bound).set(variable.args, range.size) : bound;
  const bodies = rest.map((arg) => estimate(arg, inner));
  const perElement = bodies.reduce((total, body) => total + body.cost, 2);
  const size = name === 'map' ? Math.max(range.size, bodies.at(-1)?.size ?? 1) : name === 'filter' ? range.size : 1;
  return { cost: range.cost + range.size * perElement + 1 + size, size };
}

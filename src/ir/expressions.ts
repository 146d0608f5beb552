// CEL expressions and `{{ }}` templates: compile (cached), evaluate against a run's scope, render templates.
// Workflow-safe: pure, deterministic, no Node built-ins, no clock, no randomness; bundled into workflow code.
import { Environment, EvaluationError, ParseError, type ASTNode } from '@marcbachmann/cel-js';
import { fromCelValue, toCelValue } from './cel-values';
import { createMeteredEvaluation, MAX_EVALUATION_COST } from './evaluation-budget';
import { estimateExpressionCost } from './expression-cost';
import { ExpressionError } from './expression-error';
import type { JsonValue } from './schema';
import { splitTemplate } from './template-syntax';

export { templateExpressions } from './template-syntax';
export { ExpressionError } from './expression-error';

/** What expressions see. `secrets` exists only inside activities, which render the fields allowed to use it. */
export interface ExpressionScope {
  input?: unknown;
  vars?: Record<string, unknown>;
  nodes?: Record<string, unknown>;
  run?: Record<string, unknown>;
  secrets?: Record<string, string>;
}

export const SCOPE_VARIABLES = ['input', 'vars', 'nodes', 'run', 'secrets'] as const;

export interface CompiledExpression {
  readonly source: string;
  /** The secret names read as `secrets.<name>` or `secrets['<name>']`. */
  readonly secretNames: readonly string[];
  /** True when `secrets` is read in any other way (e.g. `secrets[input.k]`), which validation refuses. */
  readonly readsSecretsDynamically: boolean;
  /** A static upper estimate of one evaluation's cost, in the units of the run-time budget. */
  readonly estimatedCost: number;
  evaluate(scope: ExpressionScope): JsonValue;
}

const MAX_SOURCE_LENGTH = 10_000;
const MAX_CACHED = 2_000;
const ARITHMETIC = ['+', '-', '*', '/'] as const;

// Authors write `input.amount * 1.5` or `vars.total + 0.5` without caring whether a JSON number was integral,
// so mixed int/double arithmetic is allowed and yields a double. Comparisons across the two are standard CEL.
function applyArithmetic(operator: (typeof ARITHMETIC)[number], left: number, right: number): number {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return left / right;
  }
}

function createEnvironment(): Environment {
  const environment = new Environment({ homogeneousAggregateLiterals: false });
  for (const name of SCOPE_VARIABLES) environment.registerVariable(name, 'dyn');
  for (const operator of ARITHMETIC) {
    environment.registerOperator(`int ${operator} double: double`, (left: bigint, right: number) =>
      applyArithmetic(operator, Number(left), right),
    );
    environment.registerOperator(`double ${operator} int: double`, (left: number, right: bigint) =>
      applyArithmetic(operator, left, Number(right)),
    );
  }
  return environment;
}

const ENVIRONMENT = createEnvironment();
const meter = createMeteredEvaluation(ENVIRONMENT);
const COMPILED = new Map<string, CompiledExpression>();

function describeCelError(error: unknown): string {
  if (error instanceof ParseError || error instanceof EvaluationError || (error instanceof Error && 'summary' in error)) {
    const { summary, range } = error as { summary?: string; range?: { start: number } };
    const where = range === undefined ? '' : ` (at column ${range.start + 1})`;
    return `${summary ?? 'invalid expression'}${where}`;
  }
  return 'the expression could not be evaluated';
}

interface SecretUse {
  names: Set<string>;
  dynamic: boolean;
}

function isSecretsRoot(node: ASTNode): boolean {
  return node.op === 'id' && node.args === 'secrets';
}

// Walks the AST once to see how `secrets` is read, so validation can place secrets precisely.
function collectSecretUse(node: ASTNode, use: SecretUse): void {
  if ((node.op === '.' || node.op === '.?') && isSecretsRoot(node.args[0])) {
    use.names.add(node.args[1]);
    return;
  }
  if ((node.op === '[]' || node.op === '[?]') && isSecretsRoot(node.args[0])) {
    const key = node.args[1];
    if (key.op === 'value' && typeof key.args === 'string') use.names.add(key.args);
    else use.dynamic = true;
    collectSecretUse(key, use);
    return;
  }
  if (isSecretsRoot(node)) {
    use.dynamic = true;
    return;
  }
  for (const child of childNodes(node)) collectSecretUse(child, use);
}

function isAstNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

function childNodes(node: ASTNode): ASTNode[] {
  const found: ASTNode[] = [];
  const visit = (value: unknown): void => {
    if (isAstNode(value)) found.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  if (node.op !== 'value' && node.op !== 'id') visit(node.args);
  return found;
}

function createCompiled(source: string): CompiledExpression {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExpressionError('syntax', `an expression is at most ${MAX_SOURCE_LENGTH} characters`, source);
  }
  let program: ReturnType<Environment['parse']>;
  try {
    program = ENVIRONMENT.parse(source);
  } catch (error) {
    throw new ExpressionError('syntax', `does not parse: ${describeCelError(error)}`, source, { cause: error });
  }
  const checked = program.check();
  if (!checked.valid) {
    throw new ExpressionError('type', `does not type-check: ${describeCelError(checked.error)}`, source, { cause: checked.error });
  }
  const use: SecretUse = { names: new Set(), dynamic: false };
  collectSecretUse(program.ast, use);
  const readsSecrets = use.dynamic || use.names.size > 0;
  return {
    source,
    secretNames: [...use.names],
    readsSecretsDynamically: use.dynamic,
    estimatedCost: estimateExpressionCost(program.ast),
    evaluate(scope: ExpressionScope): JsonValue {
      if (readsSecrets && scope.secrets === undefined) {
        throw new ExpressionError('evaluation', 'secrets are only available inside activities', source);
      }
      const context = {
        input: toCelValue(scope.input ?? {}),
        vars: toCelValue(scope.vars ?? {}),
        nodes: toCelValue(scope.nodes ?? {}),
        run: toCelValue(scope.run ?? {}),
        ...(scope.secrets === undefined ? {} : { secrets: toCelValue(scope.secrets) }),
      };
      const evaluated = meter(() => program(context));
      if (evaluated.exceeded) {
        throw new ExpressionError('budget', `evaluation exceeded its budget of ${MAX_EVALUATION_COST} steps and items`, source);
      }
      if (evaluated.error !== undefined) {
        // At run time CEL's message can quote the data (`No such key: <key>`, `integer overflow: <n>`), and a cause
        // would be serialised into Temporal history with it: only the kind of error is kept.
        throw new ExpressionError('evaluation', describeCelError(evaluated.error).replace(/:.*$/s, ''), source);
      }
      return fromCelValue(evaluated.value, source);
    },
  };
}

/** Parses and type-checks a CEL expression once; throws an `ExpressionError` (`syntax` or `type`) saying why not. */
export function compileExpression(source: string): CompiledExpression {
  const cached = COMPILED.get(source);
  if (cached !== undefined) return cached;
  const compiled = createCompiled(source);
  // Definitions hold a bounded set of expressions; the cap only protects a long-lived worker.
  if (COMPILED.size >= MAX_CACHED) COMPILED.delete(COMPILED.keys().next().value as string);
  COMPILED.set(source, compiled);
  return compiled;
}

/** Evaluates a CEL expression against a scope and returns plain JSON. */
export function evaluateExpression(source: string, scope: ExpressionScope): JsonValue {
  return compileExpression(source).evaluate(scope);
}

function interpolate(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function renderText(text: string, scope: ExpressionScope): unknown {
  const parts = splitTemplate(text);
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'expression') return evaluateExpression(only.source, scope);
  // Single pass: rendered values are never scanned again, so data cannot smuggle in a template of its own.
  return parts.map((part) => (part.kind === 'text' ? part.text : interpolate(evaluateExpression(part.source, scope)))).join('');
}

function renderAt(value: unknown, scope: ExpressionScope, path: string): unknown {
  if (typeof value === 'string') {
    try {
      return renderText(value, scope);
    } catch (error) {
      if (error instanceof ExpressionError && path !== '') {
        throw new ExpressionError(error.reason, `${path}: ${error.message}`, error.expression, { cause: error, field: path });
      }
      throw error;
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => renderAt(item, scope, `${path}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderAt(item, scope, path === '' ? key : `${path}.${key}`)]),
    );
  }
  return value;
}

/**
 * Renders the `{{ expr }}` templates in a value's strings (walking objects and arrays). A string that is exactly one
 * `{{ expr }}` yields the expression's value itself (object, list, number); otherwise values are interpolated as text.
 */
export function renderTemplate(value: unknown, scope: ExpressionScope): unknown {
  return renderAt(value, scope, '');
}

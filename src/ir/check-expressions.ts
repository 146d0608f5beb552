// Expression checks: every CEL expression and `{{ }}` template parses and type-checks, and `secrets.*` appears
// only in fields rendered inside activities, naming declared secrets. Workflow-safe.
import { compileExpression, type CompiledExpression } from './expressions';
import { MAX_ESTIMATED_COST } from './expression-cost';
import { ExpressionError } from './expression-error';
import type { PathIssue, PathSegment } from './issues';
import type { Definition, Node } from './schema';
import { templateExpressions } from './template-syntax';

const SECRET_FIELDS_HINT = 'tool request.url, request.headers and request.body, llm api_key, a2a token, client_certificate, client_key and server_ca, oauth.client_secret';

// Fields that are never rendered: documentation, ids, and JSON Schemas (whose text may legitimately hold `{{`).
const UNRENDERED_FIELDS = new Set(['type', 'description', 'output_schema', 'input_schema']);

interface Found {
  segments: PathSegment[];
  source: string;
  isTemplate: boolean;
  /** Set when the text around the expression is already broken (an unclosed or empty `{{ }}`). */
  templateError?: string;
}

function findTemplates(value: unknown, segments: PathSegment[], found: Found[]): void {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return;
    try {
      for (const source of templateExpressions(value)) found.push({ segments, source, isTemplate: true });
    } catch (error) {
      const templateError = error instanceof ExpressionError ? error.message : 'a template does not parse';
      found.push({ segments, source: '', isTemplate: true, templateError });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findTemplates(item, [...segments, index], found));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!UNRENDERED_FIELDS.has(key)) findTemplates(item, [...segments, key], found);
    }
  }
}

// set values, end.output and fail.error: a string is CEL, anything else a JSON value with templates in its strings.
function findValueExpressions(value: unknown, segments: PathSegment[], found: Found[]): void {
  if (typeof value === 'string') found.push({ segments, source: value, isTemplate: false });
  else findTemplates(value, segments, found);
}

function findInNode(id: string, node: Node, found: Found[]): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['nodes', id, ...rest];
  switch (node.type) {
    case 'condition':
      node.branches.forEach((branch, index) => found.push({ segments: at('branches', index, 'when'), source: branch.when, isTemplate: false }));
      return;
    case 'set':
      for (const [name, value] of Object.entries(node.values)) findValueExpressions(value, at('values', name), found);
      return;
    case 'end':
      if (node.output !== undefined) findValueExpressions(node.output, at('output'), found);
      return;
    case 'fail':
      if (node.error !== undefined) findValueExpressions(node.error, at('error'), found);
      return;
    case 'wait':
      if (node.until !== undefined) found.push({ segments: at('until'), source: node.until, isTemplate: false });
      return;
    default:
      findTemplates(node, at(), found);
  }
}

const A2A_SECRET_FIELDS: ReadonlySet<string> = new Set(['token', 'client_certificate', 'client_key', 'server_ca']);

function isSecretField(definition: Definition, segments: PathSegment[]): boolean {
  const [root, id, field, part] = segments;
  if (root === 'oauth') return field === undefined && (id === 'client_secret' || id === 'private_key');
  if (root !== 'nodes' || typeof id !== 'string') return false;
  const node = definition.nodes[id];
  if (node?.type === 'llm') return field === 'api_key' && part === undefined;
  if (node?.type === 'a2a') return A2A_SECRET_FIELDS.has(String(field)) && part === undefined;
  return node?.type === 'tool' && field === 'request' && (part === 'url' || part === 'headers' || part === 'body');
}

function describeSecretUse(definition: Definition, item: Found, compiled: CompiledExpression): string[] {
  if (compiled.secretNames.length === 0 && !compiled.readsSecretsDynamically) return [];
  if (!isSecretField(definition, item.segments)) {
    return [`secrets.* may only be used in fields rendered inside activities (${SECRET_FIELDS_HINT})`];
  }
  const messages = compiled.readsSecretsDynamically ? ['read secrets by a fixed name: secrets.<name>'] : [];
  for (const name of compiled.secretNames) {
    if (!Object.hasOwn(definition.secrets, name)) messages.push(`secret '${name}' is not declared under secrets`);
  }
  return messages;
}

function compileFound(item: Found): CompiledExpression | string {
  if (item.templateError !== undefined) return item.templateError;
  try {
    return compileExpression(item.source);
  } catch (error) {
    const message = error instanceof ExpressionError ? error.message : 'does not parse';
    return `${item.isTemplate ? `template {{ ${item.source} }}` : 'expression'} ${message}`;
  }
}

// Refused before any run: a worker evaluates expressions inside workflow tasks, where a stall holds every run.
function describeCost(item: Found, compiled: CompiledExpression): string[] {
  if (compiled.estimatedCost <= MAX_ESTIMATED_COST) return [];
  const what = item.isTemplate ? `template {{ ${item.source} }}` : 'expression';
  const estimate = Number.isFinite(compiled.estimatedCost) ? compiled.estimatedCost.toExponential(1) : 'unbounded';
  return [
    `${what} is too costly to evaluate: its estimated cost (${estimate}) passes the limit (${MAX_ESTIMATED_COST}); ` +
      'loops nested inside loops, or values that double in size, multiply the cost',
  ];
}

const isSamePath = (left: PathSegment[], right: PathSegment[]): boolean =>
  left.length === right.length && left.every((segment, index) => segment === right[index]);

// Keys must be referenced, never written into a definition: such a field must name at least one secret.
function checkSecretOnlyFields(definition: Definition, compiled: { item: Found; result: CompiledExpression | string }[]): PathIssue[] {
  const fields: { segments: PathSegment[]; value: string | undefined }[] = [
    { segments: ['oauth', 'client_secret'], value: definition.oauth?.client_secret },
    { segments: ['oauth', 'private_key'], value: definition.oauth?.private_key },
    ...Object.entries(definition.nodes).map(([id, node]) => ({
      segments: ['nodes', id, 'api_key'] as PathSegment[],
      value: node.type === 'llm' ? node.api_key : undefined,
    })),
    ...Object.entries(definition.nodes).flatMap(([id, node]) =>
      node.type === 'a2a'
        ? [
            { segments: ['nodes', id, 'token'] as PathSegment[], value: node.token },
            { segments: ['nodes', id, 'client_key'] as PathSegment[], value: node.client_key },
          ]
        : [],
    ),
  ];
  return fields
    .filter((field) => field.value !== undefined)
    .filter((field) => !compiled.some(({ item, result }) =>
      isSamePath(item.segments, field.segments) && typeof result !== 'string' && result.secretNames.length > 0))
    .map((field) => ({
      segments: field.segments,
      message: 'must reference a declared secret, e.g. {{ secrets.openai }}; never write a key into a definition',
    }));
}

/** Every expression and template parses and type-checks; secrets are used only where activities render them. */
export function checkExpressions(definition: Definition): PathIssue[] {
  const found: Found[] = [];
  if (definition.oauth !== undefined) findTemplates(definition.oauth, ['oauth'], found);
  for (const [id, node] of Object.entries(definition.nodes)) findInNode(id, node, found);
  const compiled = found.map((item) => ({ item, result: compileFound(item) }));
  const issues: PathIssue[] = compiled.flatMap(({ item, result }) =>
    (typeof result === 'string' ? [result] : [...describeCost(item, result), ...describeSecretUse(definition, item, result)]).map((message) => ({
      segments: item.segments,
      message,
    })),
  );
  return [...issues, ...checkSecretOnlyFields(definition, compiled)];
}

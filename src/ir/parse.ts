// Reads a definition from YAML or JSON source and validates it, pointing every issue at file:line:column.
// Not workflow-safe (uses the yaml library): for the CLI, the client and registration.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { IrIssue, PathIssue, PathSegment } from './issues';
import { formatPath } from './issues';
import type { Definition } from './schema';
import { findDefinitionIssues } from './validate';

export { formatIssue, type IrIssue } from './issues';

export type ParseResult = { ok: true; definition: Definition } | { ok: false; issues: IrIssue[] };

export interface ParseOptions {
  /** Shown in issues, e.g. `examples/expense.yaml`. */
  filename?: string;
}

const MAX_SOURCE_LENGTH = 1_000_000;
const MAX_ALIAS_COUNT = 100;
/** How deeply a definition may nest objects and lists (its own structure needs fewer than ten levels). */
export const MAX_DEFINITION_DEPTH = 100;
const TOO_DEEP = `the source nests deeper than the limit of ${MAX_DEFINITION_DEPTH} levels`;

/** Issues reported for one source: past this, the rest are counted, not listed (and not located). */
export const MAX_REPORTED_ISSUES = 100;

interface Position {
  line: number;
  column: number;
}

// The deepest node that exists along the path: for a missing field, that is the object that lacks it.
function findOffset(document: Document, segments: readonly PathSegment[]): number | undefined {
  let node: unknown = document.contents;
  let offset = (node as YamlNode | null)?.range?.[0];
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      const target = (pair.value ?? pair.key) as YamlNode | null;
      offset = target?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as YamlNode | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** The deepest nesting of `{` and `[` outside quoted strings: linear, no recursion. */
function measureFlowDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  for (let index = 0; index < source.length; index += 1) {
    const char = source[index];
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '{' || char === '[') deepest = Math.max(deepest, ++depth);
    else if (char === '}' || char === ']') depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** The deepest nesting of objects and lists in a value, walked without recursion. */
function measureValueDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEFINITION_DEPTH) return deepest;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function findDuplicateKeys(document: Document): { message: string; offset: number | undefined }[] {
  const found: { message: string; offset: number | undefined }[] = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (seen.has(name)) found.push({ message: `map keys must be unique: '${name.slice(0, 100)}' appears again`, offset: pair.key.range?.[0] });
        seen.add(name);
      }
      if (found.length > MAX_REPORTED_ISSUES) return visit.BREAK;
      return undefined;
    },
  });
  return found;
}

/** Lists at most MAX_REPORTED_ISSUES issues, then one saying how many more there were. */
function capIssues(issues: IrIssue[], total: number, file: string | undefined, counted = true): IrIssue[] {
  if (total <= MAX_REPORTED_ISSUES) return issues;
  const more = counted ? String(total - MAX_REPORTED_ISSUES) : `${total - MAX_REPORTED_ISSUES} or more`;
  return [...issues.slice(0, MAX_REPORTED_ISSUES), createIssue('', `${more} further issues not listed (at most ${MAX_REPORTED_ISSUES} are)`, file, undefined)];
}

function toPosition(lineCounter: LineCounter, offset: number | undefined): Position | undefined {
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function createIssue(path: string, message: string, file: string | undefined, position: Position | undefined): IrIssue {
  return {
    path,
    message,
    ...(file === undefined ? {} : { file }),
    ...(position === undefined ? {} : { line: position.line, column: position.column }),
  };
}

function sortByPosition(issues: IrIssue[]): IrIssue[] {
  const key = (issue: IrIssue): number => (issue.line ?? Number.MAX_SAFE_INTEGER) * 1_000_000 + (issue.column ?? 0);
  return issues.map((issue, index) => ({ issue, index }))
    .sort((left, right) => key(left.issue) - key(right.issue) || left.index - right.index)
    .map(({ issue }) => issue);
}

function readSource(source: string, file: string | undefined): { document: Document; lineCounter: LineCounter; value: unknown } | IrIssue[] {
  if (typeof source !== 'string') return [createIssue('', 'the source must be text (YAML or JSON)', file, undefined)];
  if (source.length > MAX_SOURCE_LENGTH) {
    return [createIssue('', `the source is longer than ${MAX_SOURCE_LENGTH} characters`, file, undefined)];
  }
  // The YAML parser recurses per level of flow nesting ({ and [), as JSON nests: too deep a source is refused first.
  if (measureFlowDepth(source) > MAX_DEFINITION_DEPTH) return [createIssue('', TOO_DEEP, file, undefined)];
  const lineCounter = new LineCounter();
  // The yaml library's own duplicate-key check compares every key with every other (minutes for 90k keys): keys are
  // indexed here instead.
  const document = parseDocument(source, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const errors = [
    ...document.errors.map((error) => ({ message: /call stack/i.test(error.message) ? TOO_DEEP : error.message, offset: error.pos[0] })),
    ...findDuplicateKeys(document),
  ];
  if (errors.length > 0) {
    return capIssues(errors.slice(0, MAX_REPORTED_ISSUES + 1).map((error) => createIssue('', error.message, file, toPosition(lineCounter, error.offset))), errors.length, file, false);
  }
  const value: unknown = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  // Block (indented) nesting passes the scan above; the value itself is measured too.
  if (measureValueDepth(value) > MAX_DEFINITION_DEPTH) return [createIssue('', TOO_DEEP, file, undefined)];
  return { document, lineCounter, value };
}

/**
 * Parses and validates a definition written in YAML or JSON. Every issue is listed with its field path and,
 * where the source has one, its line and column. Never throws on bad input.
 */
export function parseDefinition(source: string, options: ParseOptions = {}): ParseResult {
  const file = options.filename;
  let read: ReturnType<typeof readSource>;
  try {
    read = readSource(source, file);
  } catch {
    // e.g. an alias bomb refused by maxAliasCount, or input nested beyond the stack.
    read = [createIssue('', 'the source could not be read as YAML or JSON (too deeply nested or too many aliases)', file, undefined)];
  }
  if (Array.isArray(read)) return { ok: false, issues: read };
  const { document, lineCounter } = read;
  const { definition, issues } = findDefinitionIssues(read.value);
  if (definition !== undefined && issues.length === 0) return { ok: true, definition };
  // Locating an issue walks the document: only the issues listed are located.
  const located = issues.slice(0, MAX_REPORTED_ISSUES).map((issue: PathIssue) =>
    createIssue(formatPath(issue.segments), issue.message, file, toPosition(lineCounter, findOffset(document, issue.segments))),
  );
  return { ok: false, issues: capIssues(sortByPosition(located), issues.length, file) };
}

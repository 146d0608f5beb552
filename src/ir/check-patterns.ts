// Author-written regular expressions run on the linear-time (RE2) engine, so a pattern it cannot run — a
// backreference, a lookahead — is refused here, naming the field, instead of failing a run. Covers custom PII
// detectors and the `pattern` / `patternProperties` keywords of the run input's and model outputs' JSON Schemas.
// Workflow-safe (re2js is pure JavaScript).
import { compileLinearPattern } from '../regex/linear-pattern';
import type { PathIssue, PathSegment } from './issues';
import type { Definition } from './schema';

const MAX_SCHEMA_DEPTH = 64;

export function checkPatterns(definition: Definition): PathIssue[] {
  const issues: PathIssue[] = [];
  definition.data_policy.custom_detectors.forEach((detector, i) => {
    const compiled = compileLinearPattern(detector.pattern, detector.flags);
    if (!compiled.ok) issues.push({ segments: ['data_policy', 'custom_detectors', i, 'pattern'], message: compiled.reason });
  });
  if (definition.input !== undefined) checkSchemaPatterns(definition.input, ['input'], issues);
  for (const [id, node] of Object.entries(definition.nodes)) {
    if (node.type !== 'llm') continue;
    if (node.output_schema !== undefined) checkSchemaPatterns(node.output_schema, ['nodes', id, 'output_schema'], issues);
    node.tools?.forEach((tool, i) => {
      if (typeof tool !== 'string' && tool.input_schema !== undefined) {
        checkSchemaPatterns(tool.input_schema, ['nodes', id, 'tools', i, 'input_schema'], issues);
      }
    });
  }
  return issues;
}

/** Walks a JSON Schema for `pattern` strings and `patternProperties` keys. */
function checkSchemaPatterns(schema: unknown, path: PathSegment[], issues: PathIssue[], depth = 0): void {
  if (depth > MAX_SCHEMA_DEPTH || schema === null || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => checkSchemaPatterns(item, [...path, i], issues, depth + 1));
    return;
  }
  const record = schema as Record<string, unknown>;
  const refuse = (source: string, at: PathSegment[]) => {
    const compiled = compileLinearPattern(source, 'u');
    if (!compiled.ok) issues.push({ segments: at, message: compiled.reason });
  };
  if (typeof record.pattern === 'string') refuse(record.pattern, [...path, 'pattern']);
  const patternProperties = record.patternProperties;
  if (patternProperties !== null && typeof patternProperties === 'object' && !Array.isArray(patternProperties)) {
    for (const key of Object.keys(patternProperties)) refuse(key, [...path, 'patternProperties', key]);
  }
  for (const [key, value] of Object.entries(record)) checkSchemaPatterns(value, [...path, key], issues, depth + 1);
}

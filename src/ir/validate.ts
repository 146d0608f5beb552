// Validates a definition held as a JS value (e.g. JSON from the database): schema first, then cross-references.
// Workflow-safe, so the interpreter can validate the definition it loaded. Never throws on bad input.
import { findReferenceIssues } from './check';
import { toIrIssue, type IrIssue, type PathIssue } from './issues';
import { findSalvagedIssues } from './salvage';
import { Definition } from './schema';
import { fromSchemaIssues } from './schema-issues';

export type ValidationResult = { ok: true; definition: Definition } | { ok: false; issues: IrIssue[] };

function describeCrash(error: unknown): string {
  return error instanceof RangeError ? 'the definition is nested too deeply or is too large' : 'the definition could not be validated';
}

/** Schema and cross-reference issues as path segments, plus the definition when the schema accepted it. */
export function findDefinitionIssues(value: unknown): { definition?: Definition; issues: PathIssue[] } {
  try {
    const parsed = Definition.safeParse(value);
    if (!parsed.success) return { issues: [...fromSchemaIssues(parsed.error.issues), ...findSalvagedIssues(value)] };
    return { definition: parsed.data, issues: findReferenceIssues(parsed.data) };
  } catch (error) {
    return { issues: [{ segments: [], message: describeCrash(error) }] };
  }
}

/** Validates a definition value; every issue is listed, with its field path. */
export function validateDefinition(value: unknown): ValidationResult {
  const { definition, issues } = findDefinitionIssues(value);
  if (definition !== undefined && issues.length === 0) return { ok: true, definition };
  return { ok: false, issues: issues.map(toIrIssue) };
}

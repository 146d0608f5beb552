// The workflow-safe face of the IR. Everything exported here is pure (no Node built-ins, no I/O, no clock or
// randomness) and may be bundled into Temporal workflow code: schema.ts, expressions.ts, cel-values.ts,
// template-syntax.ts, duration.ts, secret-reference.ts, validate.ts, salvage.ts, schema-issues.ts, check*.ts,
// graph.ts, issues.ts, expression-error.ts. Not workflow-safe, import them directly: parse.ts (yaml),
// hash.ts (node:crypto); json-schema.ts is pure but only the CLI needs it.
export * from './schema';
export { parseDuration, isDuration, DURATION_PATTERN } from './duration';
export {
  compileExpression,
  evaluateExpression,
  renderTemplate,
  templateExpressions,
  ExpressionError,
  SCOPE_VARIABLES,
  type CompiledExpression,
  type ExpressionScope,
} from './expressions';
export { parseSecretReference, SecretReferenceText, type SecretReference } from './secret-reference';
export { validateDefinition, type ValidationResult } from './validate';
export { checkDefinition } from './check';
export { formatIssue, formatPath, type IrIssue } from './issues';

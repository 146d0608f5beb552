// Cross-reference checks of a schema-valid definition; each check lives in its own check-*.ts. Workflow-safe.
import { checkIrreversibleApproval } from './check-approvals';
import { checkExpressions } from './check-expressions';
import { checkGraph } from './check-graph';
import { checkLlmTools } from './check-llm-tools';
import { checkOAuthClient } from './check-oauth';
import { checkParallelWrites } from './check-parallel';
import { checkPatterns } from './check-patterns';
import { checkToolUrls } from './check-tool-urls';
import { toIrIssue, type IrIssue, type PathIssue } from './issues';
import type { Definition } from './schema';

/** Every cross-reference issue, as path segments (for parsers that map them to source positions). */
export function findReferenceIssues(definition: Definition): PathIssue[] {
  return [
    ...checkGraph(definition),
    ...checkExpressions(definition),
    ...checkParallelWrites(definition),
    ...checkIrreversibleApproval(definition),
    ...checkLlmTools(definition),
    ...checkOAuthClient(definition),
    ...checkToolUrls(definition),
    ...checkPatterns(definition),
  ];
}

/**
 * Checks what the schema alone cannot: targets, reachability, bounded loops, expressions and templates, where
 * secrets are used, parallel writes and approvals before irreversible tools. Returns every issue found.
 */
export function checkDefinition(definition: Definition): IrIssue[] {
  return findReferenceIssues(definition).map(toIrIssue);
}

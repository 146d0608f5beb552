// When the schema rejects a definition, rebuilds the parts that are valid so the cross-reference checks can still
// report in the same pass, instead of making authors fix one kind of error before seeing the next. Workflow-safe.
import { DataPolicy } from '../pii/policy';
import { checkExpressions } from './check-expressions';
import { findReferenceIssues } from './check';
import type { PathIssue } from './issues';
import { Definition, Limits, Node, NodeId, OAuthClient, type Definition as DefinitionType } from './schema';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Cross-reference issues of a definition the schema rejected. Graph-wide checks run only when every node and the
 * start are valid (an invalid node's edges are unknown, which would make its successors look unreachable);
 * expression checks, which are local to a field, always run on the valid nodes.
 */
export function findSalvagedIssues(value: unknown): PathIssue[] {
  if (!isRecord(value) || !isRecord(value.nodes)) return [];
  const nodes: Record<string, Node> = {};
  let allNodesValid = true;
  for (const [id, raw] of Object.entries(value.nodes)) {
    const node = Node.safeParse(raw);
    if (node.success && NodeId.safeParse(id).success) nodes[id] = node.data;
    else allNodesValid = false;
  }
  const secrets = Definition.shape.secrets.safeParse(value.secrets);
  const salvaged: DefinitionType = {
    id: 'salvaged',
    version: 1,
    data_policy: DataPolicy.parse({}),
    limits: Limits.safeParse(value.limits ?? {}).data ?? {},
    oauth: OAuthClient.safeParse(value.oauth).data,
    // A declared name counts even when its reference is malformed; the schema already reported that.
    secrets: secrets.data ?? (isRecord(value.secrets) ? Object.fromEntries(Object.keys(value.secrets).map((name) => [name, ''])) : {}),
    start: typeof value.start === 'string' ? value.start : '',
    nodes,
  };
  const startValid = NodeId.safeParse(value.start).success;
  return allNodesValid && startValid ? findReferenceIssues(salvaged) : checkExpressions(salvaged);
}

// Approval checks: an irreversible tool must be preceded by an approval node on every path from start,
// unless it says `approval: waived` with a reason. Workflow-safe.
import { pathTo, searchFrom } from './graph';
import type { PathIssue } from './issues';
import type { Definition } from './schema';

/** Irreversible tools that some path from start reaches without passing an approval. */
export function checkIrreversibleApproval(definition: Definition): PathIssue[] {
  if (!Object.hasOwn(definition.nodes, definition.start)) return [];
  // An approval's `next` is the approved path. Rejection and errors leave it unapproved, and an approval that
  // approves on timeout proves no human agreed, so it guards nothing.
  const unapproved = searchFrom(definition, definition.start, (edge) => {
    const from = definition.nodes[edge.from];
    return from?.type !== 'approval' || from.on_timeout === 'approve' || edge.kind !== 'next';
  });
  const issues: PathIssue[] = [];
  for (const id of unapproved.keys()) {
    const node = definition.nodes[id];
    if (node?.type !== 'tool' || !node.irreversible || node.approval === 'waived') continue;
    const path = pathTo(unapproved, id);
    const autoApprovals = path.filter((step) => {
      const stepNode = definition.nodes[step];
      return stepNode?.type === 'approval' && stepNode.on_timeout === 'approve';
    });
    const note = autoApprovals.length === 0 ? '' : ` (approval '${autoApprovals[0]}' approves on timeout, so it does not count)`;
    issues.push({
      segments: ['nodes', id, 'irreversible'],
      message: `irreversible tool '${id}' can run without an approval (path ${path.join(' → ')})${note}; add an approval node before it, or set approval: waived with a reason`,
    });
  }
  return issues;
}

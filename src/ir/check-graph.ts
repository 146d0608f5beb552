// Graph checks: unknown targets, nodes no run can reach, and loops that are unbounded or cannot be left.
// Workflow-safe.
import { findComponents, listEdges, listKnownEdges, searchFrom, type Edge } from './graph';
import { offeredToolNodeIds } from './check-llm-tools';
import type { PathIssue } from './issues';
import type { Definition, Node } from './schema';

function checkTargets(definition: Definition): PathIssue[] {
  const issues: PathIssue[] = [];
  if (!Object.hasOwn(definition.nodes, definition.start)) {
    issues.push({ segments: ['start'], message: `unknown node '${definition.start}'` });
  }
  for (const [id, node] of Object.entries(definition.nodes)) {
    for (const edge of listEdges(id, node)) {
      if (!Object.hasOwn(definition.nodes, edge.to)) {
        issues.push({ segments: ['nodes', id, ...edge.field], message: `unknown node '${edge.to}'` });
      }
    }
  }
  return issues;
}

function checkReachable(definition: Definition): PathIssue[] {
  if (!Object.hasOwn(definition.nodes, definition.start)) return [];
  const reached = searchFrom(definition, definition.start);
  // Tool nodes an llm node offers its model are reached through that node, not along an edge.
  const offered = new Set([...reached.keys()].flatMap((id) => offeredToolNodeIds(definition, id)));
  return Object.keys(definition.nodes)
    .filter((id) => !reached.has(id) && !offered.has(id))
    .map((id) => ({ segments: ['nodes', id], message: `node '${id}' cannot be reached from start '${definition.start}'` }));
}

// Normal flow only: an `on_error` edge is no way out of a loop that never fails. An unknown target counts as a
// way out, since it is reported on its own.
function leavesOrEnds(node: Node, edges: Edge[], inLoop: Set<string>): boolean {
  if (edges.some((edge) => edge.kind !== 'on_error' && edge.kind !== 'parallel' && !inLoop.has(edge.to))) return true;
  switch (node.type) {
    case 'condition':
      return node.default === undefined;
    case 'approval':
      return node.next === undefined || node.on_reject === undefined;
    case 'end':
    case 'fail':
      return true;
    default:
      return node.next === undefined;
  }
}

function checkLoops(definition: Definition): PathIssue[] {
  const bounded = definition.limits.max_steps !== undefined || definition.limits.max_iterations !== undefined;
  const issues: PathIssue[] = [];
  for (const component of findComponents(definition)) {
    const [first] = component as [string];
    const isLoop = component.length > 1 || listKnownEdges(definition, first).some((edge) => edge.to === first);
    if (!isLoop) continue;
    const loop = component.length === 1 ? `node '${first}' loops to itself` : `nodes ${component.map((id) => `'${id}'`).join(', ')} form a loop`;
    if (!bounded) {
      issues.push({
        segments: ['nodes', first],
        message: `${loop}; bound it with limits.max_steps or limits.max_iterations`,
      });
    }
    const inLoop = new Set(component);
    const canLeave = component.some((id) =>
      leavesOrEnds(definition.nodes[id] as Node, listEdges(id, definition.nodes[id] as Node), inLoop),
    );
    if (!canLeave) issues.push({ segments: ['nodes', first], message: `${loop} that never ends: no node in it leads out` });
  }
  return issues;
}

/** Unknown targets, unreachable nodes and loops without a bound or a way out. */
export function checkGraph(definition: Definition): PathIssue[] {
  return [...checkTargets(definition), ...checkReachable(definition), ...checkLoops(definition)];
}

// Parallel checks: branches run concurrently, so two branches writing one `vars` key would race. Workflow-safe.
import { searchFrom } from './graph';
import type { PathIssue } from './issues';
import type { Definition, ParallelNode } from './schema';

// The `set` nodes a branch can run and the keys they write; the search stops at the parallel node itself.
function listBranchWrites(definition: Definition, parallelId: string, start: string): Map<string, string> {
  const writes = new Map<string, string>();
  if (!Object.hasOwn(definition.nodes, start)) return writes;
  for (const id of searchFrom(definition, start, (edge) => edge.from !== parallelId).keys()) {
    const node = definition.nodes[id];
    if (node?.type !== 'set') continue;
    for (const key of Object.keys(node.values)) if (!writes.has(key)) writes.set(key, id);
  }
  return writes;
}

function checkParallelNode(definition: Definition, id: string, node: ParallelNode): PathIssue[] {
  const issues: PathIssue[] = [];
  const writers = new Map<string, { branch: number; setNode: string }>();
  node.branches.forEach((branch, index) => {
    for (const [key, setNode] of listBranchWrites(definition, id, branch.start)) {
      const earlier = writers.get(key);
      if (earlier === undefined) {
        writers.set(key, { branch: index, setNode });
        continue;
      }
      issues.push({
        segments: ['nodes', id, 'branches', index, 'start'],
        message: `branches[${earlier.branch}] (node '${earlier.setNode}') and branches[${index}] (node '${setNode}') both write vars.${key}; give each branch keys of its own`,
      });
    }
  });
  return issues;
}

/** No two branches of a parallel node write the same `vars` key. */
export function checkParallelWrites(definition: Definition): PathIssue[] {
  return Object.entries(definition.nodes).flatMap(([id, node]) =>
    node.type === 'parallel' ? checkParallelNode(definition, id, node) : [],
  );
}

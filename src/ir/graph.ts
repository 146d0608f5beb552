// The node graph of a definition: every edge a run can take, and searches over it. Workflow-safe.
import type { PathSegment } from './issues';
import type { Definition, Node } from './schema';

export type EdgeKind = 'next' | 'branch' | 'default' | 'parallel' | 'on_reject' | 'on_error';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Where the edge is written, inside the node. */
  field: PathSegment[];
}

/** The edges leaving a node, in the order they are written. */
export function listEdges(id: string, node: Node): Edge[] {
  const edges: Edge[] = [];
  const add = (to: string | undefined, kind: EdgeKind, field: PathSegment[]): void => {
    if (to !== undefined) edges.push({ from: id, to, kind, field });
  };
  switch (node.type) {
    case 'condition':
      node.branches.forEach((branch, index) => add(branch.next, 'branch', ['branches', index, 'next']));
      add(node.default, 'default', ['default']);
      break;
    case 'parallel':
      node.branches.forEach((branch, index) => add(branch.start, 'parallel', ['branches', index, 'start']));
      add(node.next, 'next', ['next']);
      break;
    case 'approval':
      add(node.next, 'next', ['next']);
      add(node.on_reject, 'on_reject', ['on_reject']);
      break;
    case 'end':
    case 'fail':
      break;
    default:
      add(node.next, 'next', ['next']);
  }
  add(node.on_error, 'on_error', ['on_error']);
  return edges;
}

/** The edges of every node whose target exists. */
export function listKnownEdges(definition: Definition, id: string): Edge[] {
  const node = definition.nodes[id];
  return node === undefined ? [] : listEdges(id, node).filter((edge) => Object.hasOwn(definition.nodes, edge.to));
}

/**
 * Breadth-first search from `from`; `follow` decides which edges to take. Returns each reached node with the node
 * it was reached from, so callers can show an example path.
 */
export function searchFrom(
  definition: Definition,
  from: string,
  follow: (edge: Edge) => boolean = () => true,
): Map<string, string | undefined> {
  const parents = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  for (let index = 0; index < queue.length; index += 1) {
    for (const edge of listKnownEdges(definition, queue[index] as string)) {
      if (parents.has(edge.to) || !follow(edge)) continue;
      parents.set(edge.to, edge.from);
      queue.push(edge.to);
    }
  }
  return parents;
}

/** The path from the search's origin to `to`, as node ids. */
export function pathTo(parents: Map<string, string | undefined>, to: string): string[] {
  const path: string[] = [];
  for (let at: string | undefined = to; at !== undefined; at = parents.get(at)) path.unshift(at);
  return path;
}

/** Strongly connected components (Tarjan, iterative so deep graphs cannot overflow the stack). */
export function findComponents(definition: Definition): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of Object.keys(definition.nodes)) {
    if (index.has(root)) continue;
    const work: { id: string; edges: Edge[]; next: number }[] = [];
    const enter = (id: string): void => {
      index.set(id, counter);
      low.set(id, counter);
      counter += 1;
      stack.push(id);
      onStack.add(id);
      work.push({ id, edges: listKnownEdges(definition, id), next: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      const edge = frame.edges[frame.next];
      if (edge !== undefined) {
        frame.next += 1;
        if (!index.has(edge.to)) enter(edge.to);
        else if (onStack.has(edge.to)) low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(edge.to) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component.reverse());
      }
    }
  }
  return components;
}

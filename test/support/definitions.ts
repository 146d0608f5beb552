// Builders of small raw definitions for the IR tests.

export type RawNode = Record<string, unknown>;

/** A raw definition with the given nodes, starting at the first one unless `start` is given. */
export function createRawDefinition(nodes: Record<string, RawNode>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'test-flow', version: 1, start: Object.keys(nodes)[0], nodes, ...extra };
}

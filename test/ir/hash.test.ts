import { hashDefinition } from '../../src/ir/hash';
import { parseDefinition } from '../../src/ir/parse';

function parse(source: string) {
  const result = parseDefinition(source);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.definition;
}

describe('hashDefinition', () => {
  it('is the same whatever the key order or format of the source', () => {
    const yaml = parse('id: flow\nversion: 1\nstart: a\nnodes:\n  a: { type: end, output: "1" }\n');
    const json = parse('{"nodes": {"a": {"output": "1", "type": "end"}}, "start": "a", "version": 1, "id": "flow"}');
    expect(hashDefinition(yaml)).toBe(hashDefinition(json));
    expect(hashDefinition(yaml)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when the content changes', () => {
    const one = parse('id: flow\nversion: 1\nstart: a\nnodes:\n  a: { type: end, output: "1" }\n');
    const two = parse('id: flow\nversion: 1\nstart: a\nnodes:\n  a: { type: end, output: "2" }\n');
    expect(hashDefinition(one)).not.toBe(hashDefinition(two));
  });
});

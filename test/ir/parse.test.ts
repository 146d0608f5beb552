import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue, parseDefinition } from '../../src/ir/parse';

const readFixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseDefinition', () => {
  it('accepts the fixture that uses every node type, with defaults applied', () => {
    const result = parseDefinition(readFixture('valid-every-node.yaml'), { filename: 'valid-every-node.yaml' });
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    const types = new Set(Object.values(result.definition.nodes).map((node) => node.type));
    expect([...types].sort()).toEqual(['approval', 'condition', 'end', 'fail', 'llm', 'parallel', 'set', 'subworkflow', 'tool', 'wait']);
    expect(result.definition.data_policy.retain_prompts).toBe(false);
  });

  it('lists every error of the broken fixture with file, line, column and path', () => {
    const result = parseDefinition(readFixture('invalid-several.yaml'), { filename: 'invalid-several.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatIssue)).toEqual([
      'invalid-several.yaml:2:5 id: a slug: lowercase letters and digits separated by single hyphens',
      'invalid-several.yaml:3:10 version: Too small: expected number to be >=1',
      "invalid-several.yaml:9:10 nodes.first.nxt: unknown field 'nxt'",
      'invalid-several.yaml:13:17 nodes.second.branches[0].when: expression does not parse: Unexpected token: EOF (at column 15)',
      'invalid-several.yaml:16:11 nodes.third.type: type must be one of set, condition, parallel, wait, approval, llm, tool, a2a, subworkflow, end, fail',
      'invalid-several.yaml:19:15 nodes.done.duration: a duration: a number and a unit (ms, s, m, h, d), e.g. 30s, 48h or 1h30m',
    ]);
  });

  it('lists every cross-reference error of the second broken fixture at its position', () => {
    const result = parseDefinition(readFixture('invalid-references.yaml'), { filename: 'refs.yaml' });
    if (result.ok) throw new Error('expected issues');
    expect(result.issues.map(formatIssue)).toEqual([
      "refs.yaml:9:5 nodes.begin: nodes 'begin', 'route', 'pay' form a loop; bound it with limits.max_steps or limits.max_iterations",
      expect.stringMatching(/^refs\.yaml:10:20 nodes\.begin\.values\.key: secrets\.\* may only be used/),
      "refs.yaml:16:14 nodes.route.default: unknown node 'nowhere'",
      "refs.yaml:20:35 nodes.pay.request.url: secret 'missing' is not declared under secrets",
      expect.stringMatching(/^refs\.yaml:21:19 nodes\.pay\.irreversible: irreversible tool 'pay' can run without an approval/),
      "refs.yaml:24:5 nodes.orphan: node 'orphan' cannot be reached from start 'begin'",
    ]);
  });

  it('reads JSON, with positions too', () => {
    const source = '{\n  "id": "flow",\n  "version": 1,\n  "start": "a",\n  "nodes": {\n    "a": { "type": "end", "output": "1 +" }\n  }\n}\n';
    const result = parseDefinition(source, { filename: 'flow.json' });
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([
      expect.objectContaining({ file: 'flow.json', path: 'nodes.a.output', line: 6, column: 37 }),
    ]);
    expect(parseDefinition(source.replace('1 +', '1 + 1')).ok).toBe(true);
  });

  it('refuses duplicate keys, such as a node id written twice', () => {
    const result = parseDefinition('id: flow\nversion: 1\nstart: a\nnodes:\n  a: { type: end }\n  a: { type: end }\n');
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([expect.objectContaining({ line: 6, column: 3, message: expect.stringMatching(/unique/) })]);
  });

  it('points a missing field at the object that lacks it', () => {
    const result = parseDefinition('id: flow\nversion: 1\nstart: a\nnodes:\n  a:\n    type: llm\n    provider: openai\n    model: m\n');
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([{ path: 'nodes.a.prompt', message: 'missing required field (expected string)', line: 6, column: 5 }]);
  });

  it.each([
    ['empty text', ''],
    ['garbage', '}{][::: !!'],
    ['a scalar', '42'],
    ['a list', '- a\n- b'],
    ['bad indentation', 'id: x\n  nodes:\n a: 1'],
    ['a tab-indented mess', 'id:\n\t- x'],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `b${i}: &b${i} [${Array(9).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`).join('\n')}`],
    ['deep nesting', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['a huge source', `description: ${'x'.repeat(1_100_000)}`],
    ['a huge number', 'id: flow\nversion: 1e400\nstart: a\nnodes: { a: { type: end } }'],
  ])('never throws on %s', (_, source) => {
    const result = parseDefinition(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
  });
});

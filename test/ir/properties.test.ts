import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseDefinition } from '../../src/ir/parse';
import { validateDefinition } from '../../src/ir/validate';
import type { RawNode } from '../support/definitions';

const EXPRESSIONS = ['input.amount * 2 > 10000', 'size(input.tags) > 0', 'has(input.name)', "vars.band == 'big'", 'input.amount * 1.5 < 100.0'];
const DURATIONS = ['500ms', '30s', '5m', '48h', '2d', '1h30m'];

const expression = fc.constantFrom(...EXPRESSIONS);

// Node i always leads to node i + 1, so every node is reachable; extra edges only point forward, so there is no loop.
function arbitraryNode(index: number, count: number): fc.Arbitrary<RawNode> {
  const next = `n${index + 1}`;
  const later = fc.integer({ min: index + 1, max: count - 1 }).map((target) => `n${target}`);
  return fc.oneof(
    fc.record({ type: fc.constant('set'), values: fc.dictionary(fc.constantFrom('a', 'b', 'total'), expression, { minKeys: 1 }), next: fc.constant(next) }),
    fc.record({ type: fc.constant('condition'), branches: fc.array(fc.record({ when: expression, next: later }), { minLength: 1, maxLength: 3 }), default: fc.constant(next) }),
    fc.record({ type: fc.constant('wait'), duration: fc.constantFrom(...DURATIONS), next: fc.constant(next) }),
    fc.record({ type: fc.constant('approval'), approvers: fc.constant({ users: ['ada'], groups: ['finance'] }), timeout: fc.constantFrom(...DURATIONS), next: fc.constant(next), on_reject: later }),
    fc.record({ type: fc.constant('llm'), provider: fc.constantFrom('openai', 'anthropic'), model: fc.constant('m'), prompt: fc.constant('Summarize {{ input.name }}'), next: fc.constant(next) }),
    fc.record({
      type: fc.constant('tool'),
      tool: fc.constant('http'),
      request: fc.constant({ method: 'POST', url: 'https://x/{{ input.name }}', body: { amount: '{{ input.amount }}' } }),
      irreversible: fc.boolean(),
      approval: fc.constant('waived'),
      reason: fc.constant('covered by policy P-1'),
      next: fc.constant(next),
    }),
    fc.record({ type: fc.constant('subworkflow'), workflow: fc.constant('child-flow'), input: fc.constant({ a: '{{ input.amount }}' }), next: fc.constant(next) }),
    fc.record({ type: fc.constant('parallel'), branches: later.map((start) => [{ start }]), join: fc.constantFrom('all', 'any'), next: fc.constant(next) }),
  );
}

const terminal: fc.Arbitrary<RawNode> = fc.oneof(
  fc.record({ type: fc.constant('end'), output: fc.constantFrom("{'ok': true, 'n': 3}", 'vars', 'input.amount * 2') }),
  fc.record({ type: fc.constant('fail'), error: fc.constant({ reason: 'failed for {{ input.name }}' }) }),
);

const slug = fc.stringMatching(/^[a-z0-9]{1,10}(?:-[a-z0-9]{1,10}){0,2}$/);

const nodeList: fc.Arbitrary<RawNode[]> = fc.integer({ min: 1, max: 8 }).chain((count) =>
  fc
    .tuple(fc.tuple(...Array.from({ length: count - 1 }, (_, index) => arbitraryNode(index, count))), terminal)
    .map(([nodes, last]) => [...nodes, last]),
);

// Arbitraries built inside chain() are rebuilt per sample, so the costly ones (stringMatching) stay outside it.
const validDefinition: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(nodeList, slug, fc.integer({ min: 1, max: 1000 }))
  .map(([nodes, id, version]) => ({
    id,
    version,
    start: 'n0',
    nodes: Object.fromEntries(nodes.map((node, index) => [`n${index}`, node])),
  }));

type Mutation = (definition: Record<string, unknown>, target: string) => void;

const nodesOf = (definition: Record<string, unknown>): Record<string, RawNode> => definition.nodes as Record<string, RawNode>;

const MUTATIONS: Record<string, Mutation> = {
  'dangling next': (definition, target) => {
    const node = nodesOf(definition)[target] as RawNode;
    if (node.type === 'end' || node.type === 'fail' || node.type === 'condition') node.on_error = 'ghost';
    else node.next = 'ghost';
  },
  'dangling start': (definition) => {
    definition.start = 'ghost';
  },
  'bad type': (definition, target) => {
    (nodesOf(definition)[target] as RawNode).type = 'teleport';
  },
  'bad expression': (definition, target) => {
    nodesOf(definition)[target] = { type: 'end', output: 'input.amount >' };
  },
  'bad template': (definition, target) => {
    nodesOf(definition)[target] = { type: 'fail', error: { reason: 'broken {{ input.name' } };
  },
  'missing field': (definition) => {
    delete definition.version;
  },
  'wrong value type': (definition) => {
    definition.version = 'one';
  },
  'unknown field': (definition, target) => {
    (nodesOf(definition)[target] as RawNode).colour = 'red';
  },
};

const brokenDefinition = fc
  .tuple(validDefinition, fc.constantFrom(...Object.keys(MUTATIONS)), fc.nat())
  .map(([definition, name, pick]) => {
    const ids = Object.keys(nodesOf(definition));
    (MUTATIONS[name] as Mutation)(definition, ids[pick % ids.length] as string);
    return { definition, name };
  });

describe('generated definitions', () => {
  it('valid ones validate, as values and as YAML', () => {
    fc.assert(
      fc.property(validDefinition, (definition) => {
        const result = validateDefinition(definition);
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        expect(parseDefinition(stringify(definition)).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('broken ones are rejected with a path and a position, never a crash', () => {
    fc.assert(
      fc.property(brokenDefinition, ({ definition }) => {
        const result = validateDefinition(definition);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        for (const issue of result.issues) {
          expect(issue.path).not.toBe('');
          expect(issue.message).not.toBe('');
        }
        const parsed = parseDefinition(stringify(definition));
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) for (const issue of parsed.issues) expect(issue.line).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary values and text never crash validation', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(validateDefinition(value).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (source) => {
        expect(() => parseDefinition(source)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

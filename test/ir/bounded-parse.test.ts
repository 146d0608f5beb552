// Bounded parsing: a definition near the size limit with tens of thousands of keys parses (a quadratic duplicate-key
// check and issue location once took 220 s on it: the per-test bound below catches that, with room for a loaded
// machine; speed itself is not asserted here), and a flood of problems is reported as the first MAX_REPORTED_ISSUES
// plus a count.
import { MAX_DEFINITION_DEPTH, MAX_REPORTED_ISSUES, parseDefinition } from '../../src/ir/parse';

const keys = (count: number, key: (index: number) => string): string => Array.from({ length: count }, (_, index) => `${key(index)}: 1`).join(', ');

const QUADRATIC_BOUND_MS = 90_000;

test('a 1 MB definition with 90k keys is parsed, not stalled on', () => {
  const source = `id: big\nversion: 1\nstart: done\nnodes:\n  done: { type: end }\nextra: {${keys(90_000, (index) => `k${index}`)}}\n`;
  expect(source.length).toBeGreaterThan(900_000);
  const value = parseDefinition(source);
  expect(value).toEqual({ ok: false, issues: [expect.objectContaining({ path: 'extra', message: "unknown field 'extra'" })] });
}, QUADRATIC_BOUND_MS);

test('90k invalid nodes report the first issues and a count of the rest', () => {
  const source = `id: big\nversion: 1\nstart: done\nnodes: {done: { type: end }, ${keys(90_000, (index) => `n${index}`)}}\n`;
  const value = parseDefinition(source);
  if (value.ok) throw new Error('expected issues');
  expect(value.issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
  expect(value.issues[0]).toMatchObject({ path: 'nodes.n0', line: 4 });
  expect(value.issues.at(-1)).toMatchObject({ message: `${90_000 - MAX_REPORTED_ISSUES} further issues not listed (at most ${MAX_REPORTED_ISSUES} are)` });
}, QUADRATIC_BOUND_MS);

test('duplicate keys are still refused, each located, and a flood of them is capped', () => {
  const one = parseDefinition('id: a\nid: b\nversion: 1\nstart: done\nnodes:\n  done: { type: end }\n');
  expect(one).toEqual({ ok: false, issues: [expect.objectContaining({ message: "map keys must be unique: 'id' appears again", line: 2, column: 1 })] });
  const source = `id: big\nversion: 1\nstart: done\nnodes:\n  done: { type: end }\nextra: {${keys(90_000, (index) => `k${index % 5}`)}}\n`;
  const value = parseDefinition(source);
  if (value.ok) throw new Error('expected issues');
  expect(value.issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
  expect(value.issues.at(-1)!.message).toMatch(/^\d+ or more further issues not listed/);
}, QUADRATIC_BOUND_MS);

test.each([3_000, 20_000])('a definition nested %i levels deep is refused with a depth error, not a stack overflow', (depth) => {
  const body = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const source = `{"id":"deep","version":1,"start":"call","nodes":{"call":{"type":"tool","tool":"http","request":{"method":"POST","url":"https://x.example.com","body":${body}}}}}`;
  expect(parseDefinition(source)).toEqual({ ok: false, issues: [{ path: '', message: `the source nests deeper than the limit of ${MAX_DEFINITION_DEPTH} levels` }] });
});

test('block (indented) nesting past the limit is refused too, and brackets inside quoted text do not count', () => {
  const lines = Array.from({ length: MAX_DEFINITION_DEPTH + 5 }, (_, level) => `${' '.repeat(level)}k${level}:`);
  const deep = `id: deep\nversion: 1\nstart: done\nnodes:\n  done: { type: end }\nextra:\n${lines.map((line) => `  ${line}`).join('\n')} 1\n`;
  expect(parseDefinition(deep)).toEqual({ ok: false, issues: [{ path: '', message: `the source nests deeper than the limit of ${MAX_DEFINITION_DEPTH} levels` }] });
  const quoted = `id: quoted\nversion: 1\nstart: done\nnodes:\n  done: { type: end, output: "'${'['.repeat(200)}'" }\n`;
  expect(parseDefinition(quoted)).toMatchObject({ ok: true });
});

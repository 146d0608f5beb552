// The run contract holds: every failure type the runtime throws is in the catalogue, the catalogue and docs/ir.md
// list the same types, and the documented routing example is a valid definition.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FAILURES } from '../../src/contract/failures';
import { DECISION_REFUSALS } from '../../src/contract/messages';
import { parseDefinition } from '../../src/ir/parse';

const docs = readFileSync('docs/ir.md', 'utf8');
const section = (title: string) => {
  const start = docs.indexOf(`## ${title}`);
  return docs.slice(start, docs.indexOf('\n## ', start + 1));
};

/** Every literal failure type in ApplicationFailure.create({ type: 'X' }) across the folders given. */
function failureTypesThrownIn(folders: string[]): Set<string> {
  const types = new Set<string>();
  for (const folder of folders) {
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      for (const match of readFileSync(join(folder, file), 'utf8').matchAll(/ApplicationFailure\.create\(\{\s*type: '([A-Z_]+)'/g)) types.add(match[1]!);
    }
  }
  return types;
}

test('every failure type a workflow or activity throws by name is in the catalogue', () => {
  const thrown = failureTypesThrownIn(['workflows', 'activities']);
  expect(thrown.size).toBeGreaterThan(5);
  expect([...thrown].filter((type) => !(type in RUN_FAILURES))).toEqual([]);
});

test('docs/ir.md documents exactly the catalogue, with the same on_error column', () => {
  const rows = [...section('Failure types').matchAll(/^\| `([A-Z_]+)` \| (yes|no) \|/gm)].map((row) => [row[1], row[2] === 'yes']);
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(RUN_FAILURES).map(([type, entry]) => [type, entry.routable])));
});

test('docs/ir.md names every refusal code a decision can get', () => {
  const text = section('Talking to a run');
  expect(DECISION_REFUSALS.filter((code) => !text.includes(`\`${code}\``))).toEqual([]);
});

test("the documented example routes on a failure type and validates", () => {
  const example = /```yaml\n([\s\S]*?)```/.exec(section('Failure types'))![1]!;
  const definition = `id: routing-example\nversion: 1\nstart: charge\nnodes:\n${example}  tell_platform_team: { type: end, output: "'egress'" }\n  give_up: { type: fail }\n`;
  const parsed = parseDefinition(definition);
  expect(parsed.ok ? [] : parsed.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([]);
});

// `steward validate` and `steward schema`: offline checks with every problem listed, and the editor schema.
import { runCli } from '../support/cli';

test('a valid definition passes with exit 0', async () => {
  const cli = await runCli(['validate', 'examples/hello.yaml']);
  expect(cli).toMatchObject({ code: 0, stdout: 'examples/hello.yaml: valid (hello version 1, 2 nodes)\n' });
});

test('a broken definition lists every problem with file:line:column and field path, and exits 2', async () => {
  const cli = await runCli(['validate', 'test/ir/fixtures/invalid-several.yaml']);
  expect(cli.code).toBe(2);
  expect(cli.stderr).toContain('test/ir/fixtures/invalid-several.yaml:13:17 nodes.second.branches[0].when: expression does not parse');
  expect(cli.stderr).toContain('test/ir/fixtures/invalid-several.yaml:9:10 nodes.first.nxt: unknown field');
  expect(cli.stderr).toMatch(/6 problem\(s\) in test\/ir\/fixtures\/invalid-several\.yaml\n$/);
  const json = JSON.parse((await runCli(['validate', 'test/ir/fixtures/invalid-several.yaml', '--json'])).stdout);
  expect(json.valid).toBe(false);
  expect(json.issues).toHaveLength(6);
});

test('`steward schema` prints the JSON Schema editors use, covering every node type', async () => {
  const cli = await runCli(['schema']);
  expect(cli.code).toBe(0);
  const schema = JSON.parse(cli.stdout);
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  const text = JSON.stringify(schema);
  for (const type of ['set', 'condition', 'parallel', 'wait', 'approval', 'llm', 'tool', 'subworkflow', 'end', 'fail']) expect(text).toContain(`"const":"${type}"`);
});

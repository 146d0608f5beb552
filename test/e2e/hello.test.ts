// hello.yaml end to end: client and CLI → Temporal → a real worker → the result.
import { readFileSync } from 'node:fs';
import { WorkflowFailedError } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { runCli } from '../support/cli';
import { createPool } from '../../src/db/pool';
import { createTestTenant, startTenantWorker, testConfig, type RunningWorker } from '../support/stack';
import type { TenantId } from '../../src/tenancy/tenant-id';

const HELLO = readFileSync('examples/hello.yaml', 'utf8');
let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;

beforeAll(async () => {
  tenant = await createTestTenant('hello');
  worker = await startTenantWorker(tenant);
  client = await StewardClient.connect({ tenant });
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
});

test('the typed client registers hello.yaml, starts a run and gets its typed result', async () => {
  const { definition, status } = await client.register(HELLO, 'examples/hello.yaml');
  expect(definition.id).toBe('hello');
  expect(['registered', 'unchanged']).toContain(status);
  const run = await client.start<{ greeting: string; run: string }>({ workflow: 'hello', version: 1, input: { name: 'Ada' } });
  const result = await run.result();
  expect(result).toEqual({ greeting: 'Hello, Ada!', run: 'hello' });
  expect(await run.status()).toBe('COMPLETED');
  expect(run.uiUrl).toContain(`/namespaces/${tenant}/workflows/${run.workflowId}/${run.runId}/history`);
});

test('`steward run --wait --json` prints exactly one JSON object with the run and its result', async () => {
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{"name":"Grace"}', '--wait', '--json']);
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  const summary = JSON.parse(cli.stdout);
  expect(Object.keys(summary).sort()).toEqual(['error', 'namespace', 'result', 'run_id', 'status', 'workflow_id']);
  expect(summary).toMatchObject({ namespace: tenant, status: 'COMPLETED', result: { greeting: 'Hello, Grace!' }, error: null });
  const again = await client.getRun(summary.workflow_id);
  expect(again.runId).toBe(summary.run_id);
});

test('`steward run --wait` on a terminal-style output prints the run id, the Web UI link and the result', async () => {
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{"name":"Ada"}', '--wait']);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/^run [0-9a-f-]{36} \(workflow hello-[0-9a-f-]{36}\) started in namespace /m);
  expect(cli.stdout).toMatch(new RegExp(`web ui: http://127\\.0\\.0\\.1:\\d+/namespaces/${tenant}/workflows/hello-`));
  expect(cli.stdout).toContain('"greeting": "Hello, Ada!"');
});

test('an input that breaks the definition\'s input schema fails the run at once, naming the field', async () => {
  await client.register(HELLO, 'examples/hello.yaml');
  const run = await client.start({ workflow: 'hello', input: { name: 42 } });
  const failure = await run.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause?.message).toContain('input.name: must be string');
  expect(await run.status()).toBe('FAILED');
});

test('a run of an unregistered workflow fails with a clear, non-retryable error', async () => {
  const run = await client.start({ workflow: 'no-such-flow', input: {} });
  await expect(run.result()).rejects.toMatchObject({ cause: { message: expect.stringContaining('"no-such-flow" (any version) is not registered') } });
});

test('re-registering a version with different content is refused; the same content is accepted', async () => {
  await client.register(HELLO, 'examples/hello.yaml');
  expect((await client.register(HELLO, 'examples/hello.yaml')).status).toBe('unchanged');
  const changed = HELLO.replace("'Hello, '", "'Hi, '");
  await expect(client.register(changed, 'hello.yaml')).rejects.toMatchObject({ code: 'DEFINITION_CONFLICT' });
});

test('a stored definition changed in the database behind the registry is refused by name, never run', async () => {
  const tampered = HELLO.replace('id: hello', 'id: hello-tampered');
  await client.register(tampered, 'hello-tampered.yaml');
  // As the database owner, around the registry: one run gets a greeting the registered content never had, the
  // other a node type no schema knows.
  const admin = createPool(testConfig().databaseUrl, { max: 1 });
  try {
    await admin.query(
      `UPDATE definitions SET definition = replace(definition::text, 'Hello, ', 'Pay to ')::jsonb WHERE tenant_id = $1 AND workflow_id = 'hello-tampered'`,
      [tenant],
    );
    const changed = await client.start({ workflow: 'hello-tampered', version: 1, input: { name: 'Ada' } });
    await expect(changed.result()).rejects.toMatchObject({ cause: { type: 'DEFINITION_INVALID', message: expect.stringContaining('does not match its content hash') } });
    await admin.query(`UPDATE definitions SET definition = jsonb_set(definition, '{nodes,greet,type}', '"shell"') WHERE tenant_id = $1 AND workflow_id = 'hello-tampered'`, [tenant]);
    const broken = await client.start({ workflow: 'hello-tampered', version: 1, input: { name: 'Ada' } });
    await expect(broken.result()).rejects.toMatchObject({ cause: { type: 'DEFINITION_INVALID', message: expect.stringContaining('does not validate: nodes.greet') } });
  } finally {
    await admin.end();
  }
});

test('bad CLI input exits 2 with the reason: malformed --input JSON, a bad tenant id, a missing file', async () => {
  const badJson = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{name:']);
  expect(badJson.code).toBe(2);
  expect(badJson.stderr).toContain('--input: not valid JSON');
  const badTenant = await runCli(['run', 'examples/hello.yaml', '--tenant', '../acme', '--input', '{}']);
  expect(badTenant.code).toBe(2);
  expect(badTenant.stderr).toContain('invalid tenant id "../acme"');
  const unknown = await runCli(['run', 'examples/hello.yaml', '--tenant', 'no-such-tenant', '--input', '{}']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('tenant no-such-tenant does not exist (create it with `steward tenant create no-such-tenant`)');
  const missing = await runCli(['run', 'examples/nope.yaml', '--tenant', tenant]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('FILE: cannot read examples/nope.yaml (ENOENT)');
});

test('`steward run --wait` of a run that fails prints the reason on stderr and exits 1', async () => {
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{"name":""}', '--wait', '--json']);
  expect(cli.code).toBe(1);
  expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'FAILED', result: null, error: { type: 'INPUT_INVALID', node: null } });
  expect(cli.stderr).toMatch(/run .* failed: INPUT_INVALID: run input does not match the definition's input schema: input\.name: must NOT have fewer than 1 characters/);
});

test('`steward run --wait --progress` shows each node as it runs', async () => {
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{"name":"Ada"}', '--wait', '--progress']);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/ {2}→ greet\n {2}→ done\nstatus: COMPLETED/);
});

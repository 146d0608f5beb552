// Expressions that fail on a run's data, interpreted by a real worker on the real stack: the node fails with a typed
// EXPRESSION_ERROR that on_error can route, and an unrouted one fails the run at once instead of retrying forever.
import { WorkflowFailedError } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, startTenantWorker, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let target: HttpTarget;

beforeAll(async () => {
  tenant = await createTestTenant('exprerr');
  [worker, client, target] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant }), startHttpTarget()]);
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
  await target?.close();
});

async function run(yaml: string, input: unknown): Promise<unknown> {
  const { definition } = await client.register(yaml);
  return (await client.start({ workflow: definition.id, version: definition.version, input })).result();
}

async function failureOf(promise: Promise<unknown>): Promise<{ type?: string; message: string; details?: unknown[] }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string; details?: unknown[] };
  return { type: cause.type, message: cause.message, details: cause.details };
}

// The tool answers {ok, path, received}: there is no `status` key.
const MISSING_KEY = (onError: string) => `
id: missing-key${onError ? '-routed' : ''}
version: 1
input: { type: object, properties: { target: { type: string }, account: { type: string } } }
start: call
nodes:
  call: { type: tool, tool: http, request: { method: POST, url: "{{ input.target }}/lookup", body: { account: "{{ input.account }}" } }, next: done }
  done: { type: end, output: "{'status': nodes.call.output.status}"${onError} }
${onError ? `  recover: { type: end, output: "{'recovered': nodes.done.error}" }` : ''}
`;

test('an end output reading a key the tool output lacks fails the run at once with EXPRESSION_ERROR naming node, field and expression', async () => {
  const started = Date.now();
  const failure = await failureOf(run(MISSING_KEY(''), { target: target.url, account: 'acct-7781-secret' }));
  expect(failure.type).toBe('EXPRESSION_ERROR');
  expect(failure.message).toBe('nodes.done.output: the expression `{\'status\': nodes.call.output.status}` failed: No such key');
  expect(failure.details).toEqual([
    { node: 'done', field: 'output', expression: "{'status': nodes.call.output.status}", reason: 'evaluation' },
  ]);
  // The data the expression read never appears.
  expect(JSON.stringify(failure)).not.toContain('acct-7781');
  expect(Date.now() - started).toBeLessThan(30_000);
});

test('on_error routes an expression failure, which is kept as nodes.<id>.error', async () => {
  const output = await run(MISSING_KEY(', on_error: recover'), { target: target.url, account: 'acct-7781-secret' });
  expect(output).toEqual({
    recovered: { type: 'EXPRESSION_ERROR', message: "nodes.done.output: the expression `{'status': nodes.call.output.status}` failed: No such key" },
  });
});

test('a template inside a value names the place within the field', async () => {
  const failure = await failureOf(
    run(
      `
id: template-missing
version: 1
input: { type: object }
start: child
nodes:
  child: { type: set, values: { summary: { total: "{{ input.order.total }}" } }, next: done }
  done: { type: end, output: vars.summary }
`,
      { order: { id: 7 } },
    ),
  );
  expect(failure).toMatchObject({
    type: 'EXPRESSION_ERROR',
    message: 'nodes.child.values.summary.total: the expression `input.order.total` failed: No such key',
  });
});

test('the attack: nested loops that pass validation but meet a large list at run time are stopped by the budget, routably', async () => {
  const started = Date.now();
  const output = await run(
    `
id: cost-budget
version: 1
input: { type: object, required: [items], properties: { items: { type: array } } }
start: square
nodes:
  square: { type: set, values: { pairs: "input.items.map(a, input.items.map(b, a + b))" }, on_error: recover, next: done }
  done: { type: end, output: "'unexpected'" }
  recover: { type: end, output: nodes.square.error }
`,
    { items: Array.from({ length: 3_000 }, (_, index) => index) },
  );
  expect(output).toEqual({
    type: 'EXPRESSION_ERROR',
    message: expect.stringMatching(/^nodes\.square\.values\.pairs: the expression `input\.items\.map\(.*` failed: evaluation exceeded its budget of 1000000 steps and items$/),
  });
  expect(Date.now() - started).toBeLessThan(30_000);
});

// Each node type, interpreted by a real worker on the real stack.
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions, TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, startTenantWorker, stsUrl, temporalCli, testConfig, waitForHistoryEvent, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let temporal: Client;
let target: HttpTarget;

beforeAll(async () => {
  tenant = await createTestTenant('nodes');
  [worker, client, target] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant }), startHttpTarget()]);
  const connection = await Connection.connect(loadConnectionOptions(testConfig().localTemporalAddress));
  temporal = new Client({ connection, namespace: tenant });
});
afterAll(async () => {
  await temporal?.connection.close();
  await client?.close();
  await worker?.stop();
  await target?.close();
});

async function run<T = unknown>(yaml: string, input: unknown = {}): Promise<T> {
  const { definition } = await client.register(yaml);
  return (await client.start<T>({ workflow: definition.id, version: definition.version, input })).result();
}

async function failureOf(promise: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

const ROUTE = `
id: route-amount
version: 1
input: { type: object, required: [amount], properties: { amount: { type: number } } }
start: route
nodes:
  route: { type: condition, branches: [{ when: "input.amount * 2 > 10000", next: big }], default: small }
  big: { type: end, output: "'big'" }
  small: { type: end, output: "{'band': 'small', 'double': input.amount * 2}" }
`;

test('condition: CEL arithmetic on integral and fractional JSON numbers routes each run', async () => {
  expect(await run(ROUTE, { amount: 6000 })).toBe('big');
  expect(await run(ROUTE, { amount: 5000.5 })).toBe('big');
  expect(await run(ROUTE, { amount: 4000 })).toEqual({ band: 'small', double: 8000 });
});

test('parallel join all: branches run concurrently and outputs come back in branch order', async () => {
  const output = await run(
    `
id: fan-all
version: 1
input: { type: object, properties: { target: { type: string } } }
start: fan
nodes:
  fan: { type: parallel, join: all, branches: [{ start: a }, { start: b }], next: done }
  a: { type: set, values: { x: "40 + 2" }, next: a_call }
  a_call: { type: tool, tool: http, request: { method: POST, url: "{{ input.target }}/a", body: { x: "{{ vars.x }}" } } }
  b: { type: set, values: { y: "'from b'" } }
  done: { type: end, output: "{'branches': nodes.fan.output, 'x': vars.x, 'y': vars.y}" }
`,
    { target: target.url },
  );
  expect(output).toEqual({
    branches: [{ ok: true, path: '/a', received: { x: 42 } }, { y: 'from b' }],
    x: 42,
    y: 'from b',
  });
});

test('parallel join any: the first branch to finish wins and the others are cancelled', async () => {
  const started = Date.now();
  const output = await run(`
id: fan-any
version: 1
start: fan
nodes:
  fan: { type: parallel, join: any, branches: [{ start: slow }, { start: quick }], next: done }
  slow: { type: wait, duration: 10m }
  quick: { type: set, values: { winner: "'quick'" } }
  done: { type: end, output: nodes.fan.output }
`);
  expect(output).toEqual({ branch: 1, output: { winner: 'quick' } });
  expect(Date.now() - started).toBeLessThan(60_000);
});

test('wait: a duration of seconds is a durable timer', async () => {
  const { definition } = await client.register(`
id: pause
version: 1
start: nap
nodes:
  nap: { type: wait, duration: 2s, next: done }
  done: { type: end, output: "'rested'" }
`);
  const handle = await client.start({ workflow: definition.id, input: {} });
  expect(await handle.result()).toBe('rested');
  const timers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes);
  expect(timers).toHaveLength(1);
  expect(Number(timers[0]!.timerStartedEventAttributes!.startToFireTimeout!.seconds)).toBe(2);
});

test('approval: the run pauses, is findable by status, and resumes on a raw `temporal workflow signal`', async () => {
  const { definition } = await client.register(`
id: needs-approval
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  const starter = await mintDevToken(stsUrl(), { user: 'alice', tenant });
  const handle = await client.start({ workflow: definition.id, input: {}, userToken: starter.accessToken });
  await waitForHistoryEvent(handle, (e) => Boolean(e.timerStartedEventAttributes));
  const progress = await handle.query<{ status: string; current: string[]; pending: Array<{ kind: string; node: string }> }>('state');
  expect(progress).toMatchObject({ status: 'awaiting_approval', current: ['ask'], pending: [{ kind: 'approval', node: 'ask' }] });
  await expectEventually(async () =>
    (await client.listRuns({ status: 'awaiting_approval' })).map((r) => r.workflowId).includes(handle.workflowId),
  );

  const { accessToken } = await mintDevToken(stsUrl(), { user: 'carol', tenant, groups: ['finance-managers'] });
  const signal = await temporalCli([
    'workflow', 'signal', '--namespace', tenant, '--workflow-id', handle.workflowId, '--name', 'approval',
    '--input', JSON.stringify({ decision: 'approve', token: accessToken, comment: 'ok' }),
  ]);
  expect(signal.stderr).toBe('');
  expect(signal.code).toBe(0);
  expect(await handle.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
});

test('subworkflow: a child run of another registered definition, in the same namespace', async () => {
  await client.register(ROUTE);
  const output = await run(
    `
id: parent-flow
version: 1
start: child
nodes:
  child: { type: subworkflow, workflow: route-amount, version: 1, input: { amount: "{{ input.n }}" }, next: done }
  done: { type: end, output: "'child said ' + nodes.child.output" }
`,
    { n: 9000 },
  );
  expect(output).toBe('child said big');
});

test('on_error: after the retries are exhausted, the run goes to the on_error node with the error recorded', async () => {
  const before = target.requests.filter((r) => r.path === '/fail').length;
  const output = await run(
    `
id: recovering
version: 1
input: { type: object, properties: { target: { type: string } } }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/fail" }
    retry: { max_attempts: 3, initial_interval: 100ms, backoff_coefficient: 1 }
    on_error: recover
    next: done
  recover: { type: end, output: "{'recovered': true, 'message': nodes.call.error.message}" }
  done: { type: end, output: "'unexpected'" }
`,
    { target: target.url },
  );
  expect(output).toMatchObject({ recovered: true, message: expect.stringContaining('answered 500') });
  expect(target.requests.filter((r) => r.path === '/fail').length - before).toBe(3);
});

const LOOP = (bound: number, maxSteps: number) => `
id: loop-${bound}
version: 1
limits: { max_steps: ${maxSteps} }
start: init
nodes:
  init: { type: set, values: { i: "0" }, next: inc }
  inc: { type: set, values: { i: "vars.i + 1" }, next: check }
  check: { type: condition, branches: [{ when: "vars.i < ${bound}", next: inc }], default: done }
  done: { type: end, output: vars.i }
`;

test('a loop guarded by max_steps runs to its exit', async () => {
  expect(await run(LOOP(5, 100))).toBe(5);
});

test('a run that exceeds max_steps ends with a typed LIMIT_EXCEEDED failure', async () => {
  const { definition } = await client.register(LOOP(1000, 20));
  const failure = await failureOf(client.start({ workflow: definition.id, input: {} }).then((h) => h.result()));
  expect(failure).toEqual({ type: 'LIMIT_EXCEEDED', message: 'limits.max_steps (20) exceeded at nodes.check' });
});

test('a run that outlives max_duration ends with LIMIT_EXCEEDED', async () => {
  const { definition } = await client.register(`
id: too-slow
version: 1
limits: { max_duration: 2s }
start: nap
nodes:
  nap: { type: wait, duration: 1h, next: done }
  done: { type: end }
`);
  const failure = await failureOf(client.start({ workflow: definition.id, input: {} }).then((h) => h.result()));
  expect(failure).toEqual({ type: 'LIMIT_EXCEEDED', message: 'limits.max_duration (2s) exceeded' });
});

test('a long loop continues as new before history grows, carrying its state over', async () => {
  const { definition } = await client.register(`
id: long-loop
version: 1
limits: { max_steps: 1000 }
start: init
nodes:
  init: { type: set, values: { i: "0" }, next: tick }
  tick: { type: wait, duration: 1ms, next: inc }
  inc: { type: set, values: { i: "vars.i + 1" }, next: check }
  check: { type: condition, branches: [{ when: "vars.i < 12", next: tick }], default: done }
  done: { type: end, output: "{'i': vars.i, 'steps_seen': size(vars) }" }
`);
  const handle = await temporal.workflow.start('agentWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: `long-loop-${Date.now()}`,
    args: [{ workflow: definition.id, input: {}, continueAfterEvents: 20 }],
  });
  // The result is encrypted with the tenant's key: read it through the tenant's client.
  expect(await (await client.getRun(handle.workflowId)).result()).toEqual({ i: 12, steps_seen: 1 });
  const last = await handle.describe();
  expect(last.runId).not.toBe(handle.firstExecutionRunId);
  const history = await handle.fetchHistory();
  // The last run of the chain holds only its share of the loop.
  expect((history.events ?? []).length).toBeLessThan(40);
});

test('the raw Temporal CLI starts a run by workflow id and version; a bad input fails the run at once with the reason', async () => {
  await client.register(ROUTE);
  const id = `raw-cli-${Date.now()}`;
  const start = (workflowId: string, input: unknown) =>
    temporalCli([
      'workflow', 'start', '--namespace', tenant, '--type', 'agentWorkflow', '--task-queue', TASK_QUEUE, '--workflow-id', workflowId,
      '--input', JSON.stringify({ workflow: 'route-amount', version: 1, input }),
    ]);
  expect((await start(id, { amount: 6000 })).code).toBe(0);
  expect(await (await client.getRun(id)).result()).toBe('big');

  expect((await start(`${id}-bad`, { amount: 'lots' })).code).toBe(0);
  const failure = await failureOf((await client.getRun(`${id}-bad`)).result());
  expect(failure).toEqual({ type: 'INPUT_INVALID', message: "run input does not match the definition's input schema: input.amount: must be number" });
});

test('the state query reports the visited path and step count of a finished run', async () => {
  const handle = await client.start({ workflow: 'loop-5', input: {} });
  await handle.result();
  const progress = await handle.query<{ status: string; steps: number; path: string[] }>('state');
  expect(progress.status).toBe('completed');
  expect(progress.steps).toBe(12);
  expect(progress.path.slice(0, 3)).toEqual(['init', 'inc', 'check']);
  expect(progress.path.at(-1)).toBe('done');
});

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('a run pins its definition: publishing version 2 never changes a running version-1 run', async () => {
  const v1 = `
id: pinned
version: 1
start: nap
nodes:
  nap: { type: wait, duration: 2s, next: done }
  done: { type: end, output: "'from version 1'" }
`;
  await client.register(v1);
  const running = await client.start({ workflow: 'pinned', input: {} });
  await waitForHistoryEvent(running, (e) => Boolean(e.timerStartedEventAttributes));
  await client.register(v1.replace('version: 1', 'version: 2').replace("'from version 1'", "'from version 2'"));
  expect(await running.result()).toBe('from version 1');
  expect(await (await client.start({ workflow: 'pinned', input: {} })).result()).toBe('from version 2');
  await expect(client.register(v1.replace("'from version 1'", "'changed'"))).rejects.toMatchObject({ code: 'DEFINITION_CONFLICT' });
});

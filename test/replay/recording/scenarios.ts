// The runs whose histories are kept for replay: together they exercise every node type, on_error routing,
// a failing run, the max_steps limit and continue-as-new. Each checks its own outcome so a wrong run is never kept.
import { deepStrictEqual, ok } from 'node:assert/strict';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { DEV_MODEL_SERVER_KEY } from '../../../dev-server/model-server/server';
import { mintDevToken, SECRET_AGENT_SECRET } from '../../../dev-server/sts';
import type { StewardClient } from '../../../src/client';
import { TASK_QUEUE } from '../../../src/temporal/connection';
import type { TenantId } from '../../../src/tenancy/tenant-id';
import type { HttpTarget } from '../../support/http-target';
import { waitForHistoryEvent, writeVaultSecret } from '../../support/stack';
import { clientCertificate, createOrganisation, federate, operatorPool, startFederationServer } from '../../federation/federation-fixture';

export interface RecordingContext {
  client: StewardClient;
  /** A raw Temporal client on the tenant's namespace, for what the typed client does not expose. */
  temporal: Client;
  target: HttpTarget;
  tenant: TenantId;
  stsUrl: string;
}

/** One history to keep: the file it goes to and the execution it comes from. */
export interface RecordedRun {
  name: string;
  workflowId: string;
  runId: string;
}

export interface Scenario {
  name: string;
  record(context: RecordingContext): Promise<RecordedRun[]>;
}

const ROUTE = `
id: replay-route
version: 1
input: { type: object, required: [amount], properties: { amount: { type: number } } }
start: double
nodes:
  double: { type: set, values: { doubled: "input.amount * 2" }, next: route }
  route: { type: condition, branches: [{ when: "vars.doubled > 10000", next: big }], default: small }
  big: { type: end, output: "'big'" }
  small: { type: end, output: "{'band': 'small', 'double': vars.doubled}" }
`;

const workflowIdOf = (name: string) => `replay-${name}`;

/** Registers `yaml`, runs it to its end under a fixed workflow id and checks the output. */
async function runToEnd(context: RecordingContext, name: string, yaml: string, input: unknown, expected: unknown): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(yaml);
  const run = await context.client.start({ workflow: definition.id, version: definition.version, input, workflowId: workflowIdOf(name) });
  deepStrictEqual(await run.result(), expected, `${name}: unexpected output`);
  return [{ name, workflowId: run.workflowId, runId: run.runId }];
}

/** Registers `yaml`, runs it and checks that it fails with the given failure type. */
async function runToFailure(context: RecordingContext, name: string, yaml: string, type: string, input: unknown = {}): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(yaml);
  const run = await context.client.start({ workflow: definition.id, version: definition.version, input, workflowId: workflowIdOf(name) });
  const error = await run.result().then(() => undefined, (e: unknown) => e);
  ok(error instanceof WorkflowFailedError, `${name}: the run should have failed`);
  deepStrictEqual((error.cause as { type?: string } | undefined)?.type, type, `${name}: unexpected failure type`);
  return [{ name, workflowId: run.workflowId, runId: run.runId }];
}

export const SCENARIOS: Scenario[] = [
  { name: 'set-condition-end', record: (c) => runToEnd(c, 'set-condition-end', ROUTE, { amount: 6000 }, 'big') },
  {
    name: 'parallel-all-tool',
    record: (c) =>
      runToEnd(
        c,
        'parallel-all-tool',
        `
id: replay-parallel-all
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
        { target: c.target.url },
        { branches: [{ ok: true, path: '/a', received: { x: 42 } }, { y: 'from b' }], x: 42, y: 'from b' },
      ),
  },
  {
    name: 'parallel-any',
    record: (c) =>
      runToEnd(
        c,
        'parallel-any',
        `
id: replay-parallel-any
version: 1
start: fan
nodes:
  fan: { type: parallel, join: any, branches: [{ start: slow }, { start: quick }], next: done }
  slow: { type: wait, duration: 10m }
  quick: { type: set, values: { winner: "'quick'" } }
  done: { type: end, output: nodes.fan.output }
`,
        {},
        { branch: 1, output: { winner: 'quick' } },
      ),
  },
  {
    name: 'wait-duration',
    record: (c) =>
      runToEnd(
        c,
        'wait-duration',
        `
id: replay-wait-duration
version: 1
start: nap
nodes:
  nap: { type: wait, duration: 1s, next: done }
  done: { type: end, output: "'rested'" }
`,
        {},
        'rested',
      ),
  },
  { name: 'wait-signal', record: recordWaitSignal },
  { name: 'approval', record: recordApproval },
  {
    name: 'tool-irreversible',
    record: (c) =>
      runToEnd(
        c,
        'tool-irreversible',
        `
id: replay-tool
version: 1
input: { type: object, properties: { target: { type: string } } }
start: lookup
nodes:
  lookup: { type: tool, tool: http, request: { method: GET, url: "{{ input.target }}/lookup" }, next: submit }
  submit:
    type: tool
    tool: http
    irreversible: true
    approval: waived
    reason: "a local test target"
    request: { method: POST, url: "{{ input.target }}/submit", body: { path: "{{ nodes.lookup.output.path }}" } }
    next: done
  done: { type: end, output: nodes.submit.output.received }
`,
        { target: c.target.url },
        { path: '/lookup' },
      ),
  },
  { name: 'subworkflow', record: recordSubworkflow },
  {
    name: 'on-error-tool',
    record: (c) =>
      runToEnd(
        c,
        'on-error-tool',
        `
id: replay-on-error
version: 1
input: { type: object, properties: { target: { type: string } } }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/fail" }
    retry: { max_attempts: 2, initial_interval: 100ms, backoff_coefficient: 1 }
    on_error: recover
    next: done
  recover: { type: end, output: "{'recovered': true, 'type': nodes.call.error.type}" }
  done: { type: end, output: "'unexpected'" }
`,
        { target: c.target.url },
        { recovered: true, type: 'TOOL_HTTP_ERROR' },
      ),
  },
  {
    // An llm node needs a key, and a key must come from a secret; without one the activity fails and the
    // run takes on_error. That still records the interpreter's side of an llm node (the activity it schedules).
    name: 'llm-on-error',
    record: (c) =>
      runToEnd(
        c,
        'llm-on-error',
        `
id: replay-llm
version: 1
start: ask
nodes:
  ask:
    type: llm
    provider: openai
    model: steward-echo
    prompt: "Say hello"
    retry: { max_attempts: 1 }
    on_error: recover
    next: done
  recover: { type: end, output: "{'llm_failed': nodes.ask.error.type}" }
  done: { type: end, output: "'unexpected'" }
`,
        {},
        { llm_failed: 'CONFIG_INVALID' },
      ),
  },
  {
    name: 'fail',
    record: (c) =>
      runToFailure(
        c,
        'fail',
        `
id: replay-fail
version: 1
start: check
nodes:
  check: { type: set, values: { reason: "'not allowed'" }, next: stop }
  stop: { type: fail, error: "'refused: ' + vars.reason" }
`,
        'RUN_FAILED',
      ),
  },
  {
    name: 'max-steps',
    record: (c) =>
      runToFailure(
        c,
        'max-steps',
        `
id: replay-max-steps
version: 1
limits: { max_steps: 8 }
start: init
nodes:
  init: { type: set, values: { i: "0" }, next: inc }
  inc: { type: set, values: { i: "vars.i + 1" }, next: check }
  check: { type: condition, branches: [{ when: "vars.i < 1000", next: inc }], default: done }
  done: { type: end, output: vars.i }
`,
        'LIMIT_EXCEEDED',
      ),
  },
  { name: 'continue-as-new', record: recordContinueAsNew },
  {
    name: 'expression-error',
    record: (c) =>
      runToFailure(
        c,
        'expression-error',
        `
id: replay-expression-error
version: 1
start: pick
nodes:
  pick: { type: set, values: { status: "input.reply.status" }, next: done }
  done: { type: end, output: vars.status }
`,
        'EXPRESSION_ERROR',
      ),
  },
  {
    name: 'approval-timeout',
    record: (c) =>
      runToFailure(
        c,
        'approval-timeout',
        `
id: replay-approval-timeout
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1s, message: "Approve?", next: done }
  done: { type: end, output: nodes.ask.output }
`,
        'WAIT_TIMEOUT',
      ),
  },
  { name: 'approval-escalation', record: recordApprovalEscalation },
  {
    // no on_error: the tool's failure ends the run, named after its node
    name: 'tool-fails-run',
    record: (c) =>
      runToFailure(
        c,
        'tool-fails-run',
        `
id: replay-tool-fails-run
version: 1
input: { type: object, properties: { target: { type: string } } }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/fail" }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: "'unexpected'" }
`,
        'TOOL_HTTP_ERROR',
        { target: c.target.url },
      ),
  },
  { name: 'a2a', record: recordA2a },
  { name: 'delegation-escalation', record: recordDelegationEscalation },
  { name: 'llm-tool-loop', record: recordLlmToolLoop },
  { name: 'subworkflow-for-user', record: recordSubworkflowForUser },
];

async function recordWaitSignal(context: RecordingContext): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(`
id: replay-wait-signal
version: 1
start: hold
nodes:
  hold: { type: wait, signal: go, timeout: 1h, next: done }
  done: { type: end, output: nodes.hold.output }
`);
  const run = await context.client.start({ workflow: definition.id, input: {}, workflowId: workflowIdOf('wait-signal') });
  await waitForHistoryEvent(run, (e) => Boolean(e.timerStartedEventAttributes));
  await run.signal('go', { note: 'carry on' });
  deepStrictEqual(await run.result(), { note: 'carry on' });
  return [{ name: 'wait-signal', workflowId: run.workflowId, runId: run.runId }];
}

async function recordApproval(context: RecordingContext): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(`
id: replay-approval
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, message: "Approve?", next: done }
  done: { type: end, output: nodes.ask.output }
`);
  // Started by a verified user, so that the approval can rule out self-approval.
  const starter = await mintDevToken(context.stsUrl, { user: 'alice', tenant: context.tenant });
  const run = await context.client.start({ workflow: definition.id, input: {}, workflowId: workflowIdOf('approval'), userToken: starter.accessToken });
  await waitForHistoryEvent(run, (e) => Boolean(e.timerStartedEventAttributes));
  // A real token from the local STS; the sanitizer takes it out of the stored history.
  const { accessToken } = await mintDevToken(context.stsUrl, { user: 'carol', tenant: context.tenant, groups: ['finance-managers'] });
  await run.signal('approval', { decision: 'approve', token: accessToken, comment: 'ok' });
  deepStrictEqual(await run.result(), { decision: 'approved', approvers: ['carol'] });
  return [{ name: 'approval', workflowId: run.workflowId, runId: run.runId }];
}

async function recordApprovalEscalation(context: RecordingContext): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(`
id: replay-approval-escalation
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1s, on_timeout: escalate, escalate_to: { users: [bob], timeout: 1h }, message: "Approve?", next: done }
  done: { type: end, output: nodes.ask.output }
`);
  const starter = await mintDevToken(context.stsUrl, { user: 'alice', tenant: context.tenant });
  const run = await context.client.start({ workflow: definition.id, input: {}, workflowId: workflowIdOf('approval-escalation'), userToken: starter.accessToken });
  // the second timer is the escalated approval's deadline: only then is bob an approver
  const timersStarted = async () => ((await run.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
  for (const deadline = Date.now() + 60_000; (await timersStarted()) < 2; ) {
    ok(Date.now() < deadline, 'approval-escalation: the approval never escalated');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { accessToken } = await mintDevToken(context.stsUrl, { user: 'bob', tenant: context.tenant });
  await run.signal('approval', { decision: 'approve', token: accessToken, comment: 'escalated' });
  deepStrictEqual(await run.result(), { decision: 'approved', approvers: ['bob'] });
  return [{ name: 'approval-escalation', workflowId: run.workflowId, runId: run.runId }];
}

async function recordSubworkflow(context: RecordingContext): Promise<RecordedRun[]> {
  await context.client.register(ROUTE);
  const [parent] = await runToEnd(
    context,
    'subworkflow',
    `
id: replay-parent
version: 1
start: child
nodes:
  child: { type: subworkflow, workflow: replay-route, version: 1, input: { amount: "{{ input.n }}" }, next: done }
  done: { type: end, output: "'child said ' + nodes.child.output" }
`,
    { n: 9000 },
    'child said big',
  );
  const childId = `${parent!.workflowId}/child/1`;
  const child = await context.temporal.workflow.getHandle(childId).describe();
  return [parent!, { name: 'subworkflow-child', workflowId: childId, runId: child.runId }];
}

/** A run acting for a user starts a child run, which acts for the same user. */
async function recordSubworkflowForUser(context: RecordingContext): Promise<RecordedRun[]> {
  await context.client.register(ROUTE);
  const { definition } = await context.client.register(`
id: replay-parent-for-user
version: 1
start: child
nodes:
  child: { type: subworkflow, workflow: replay-route, version: 1, input: { amount: "{{ input.n }}" }, next: done }
  done: { type: end, output: "'child said ' + nodes.child.output" }
`);
  const alice = (await mintDevToken(context.stsUrl, { user: 'alice', tenant: context.tenant })).accessToken;
  const run = await context.client.start({ workflow: definition.id, input: { n: 9000 }, workflowId: workflowIdOf('subworkflow-for-user'), userToken: alice });
  deepStrictEqual(await run.result(), 'child said big', 'subworkflow-for-user: unexpected output');
  return [{ name: 'subworkflow-for-user', workflowId: run.workflowId, runId: run.runId }];
}

/** A loop that continues as new every ~20 events: keeps the first run of the chain and the last. */
async function recordContinueAsNew(context: RecordingContext): Promise<RecordedRun[]> {
  const { definition } = await context.client.register(`
id: replay-long-loop
version: 1
limits: { max_steps: 1000 }
start: init
nodes:
  init: { type: set, values: { i: "0" }, next: tick }
  tick: { type: wait, duration: 1ms, next: inc }
  inc: { type: set, values: { i: "vars.i + 1" }, next: check }
  check: { type: condition, branches: [{ when: "vars.i < 6", next: tick }], default: done }
  done: { type: end, output: vars.i }
`);
  const handle = await context.temporal.workflow.start('agentWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: workflowIdOf('continue-as-new'),
    args: [{ workflow: definition.id, input: {}, continueAfterEvents: 20 }],
  });
  deepStrictEqual(await handle.result(), 6);
  const last = await handle.describe();
  ok(last.runId !== handle.firstExecutionRunId, 'continue-as-new: the run never continued as new');
  return [
    { name: 'continue-as-new-first', workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
    { name: 'continue-as-new-last', workflowId: handle.workflowId, runId: last.runId },
  ];
}

/**
 * A delegated step refused for a scope its user lacks (bob has no expenses:write): the run waits in the inbox,
 * which says why and until when, and bob ends it himself.
 */
async function recordDelegationEscalation(context: RecordingContext): Promise<RecordedRun[]> {
  await writeVaultSecret(`tenants/${context.tenant}/agents`, { expense_agent: SECRET_AGENT_SECRET });
  const { definition } = await context.client.register(`
id: replay-delegation-escalation
version: 1
input: { type: object, properties: { target: { type: string } } }
oauth:
  token_endpoint: ${context.stsUrl}/token
  client_id: expense-agent
  client_secret: "{{ secrets.expense_agent }}"
  audience: expenses-api
  escalation_timeout: 1h
secrets:
  expense_agent: "vault:secret/data/tenants/${context.tenant}/agents#expense_agent"
start: submit
nodes:
  submit:
    type: tool
    tool: http
    request: { method: POST, url: "{{ input.target }}/expenses", body: { amount: 5 } }
    oauth_scopes: { required_scopes: [expenses:write], audience: expenses-api }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: nodes.submit.output }
`);
  const bob = async () => (await mintDevToken(context.stsUrl, { user: 'bob', tenant: context.tenant })).accessToken;
  const run = await context.client.start({ workflow: definition.id, input: { target: context.target.url }, workflowId: workflowIdOf('delegation-escalation'), userToken: await bob() });
  const inbox = async () => (await context.client.listPendingApprovals({ workflowId: run.workflowId })).find((pending) => pending.kind === 'delegation');
  let pending = await inbox();
  for (const deadline = Date.now() + 60_000; pending === undefined; pending = await inbox()) {
    ok(Date.now() < deadline, 'delegation-escalation: the refused step never reached the inbox');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // the patched path: the inbox entry says why the run waits and until when
  ok(/^scope_denied: .*expenses:write/.test(pending.reason ?? '') && pending.deadline instanceof Date, `delegation-escalation: the inbox entry lacks its reason or deadline: ${JSON.stringify(pending)}`);
  deepStrictEqual(await run.reject({ token: await bob() }), { accepted: true, approver: 'bob', decision: 'reject' });
  const error = await run.result().then(() => undefined, (e: unknown) => e);
  ok(error instanceof WorkflowFailedError, 'delegation-escalation: the run should have failed');
  deepStrictEqual((error.cause as { type?: string } | undefined)?.type, 'DELEGATION_REJECTED', 'delegation-escalation: unexpected failure type');
  ok(context.target.requests.every((request) => request.path !== '/expenses'), 'delegation-escalation: the refused step reached its target');
  return [{ name: 'delegation-escalation', workflowId: run.workflowId, runId: run.runId }];
}

/** An llm node that offers a tool: the model (the stack's local one) asks for it once, its tool step runs, it answers. */
async function recordLlmToolLoop(context: RecordingContext): Promise<RecordedRun[]> {
  await writeVaultSecret(`tenants/${context.tenant}/llm`, { key: DEV_MODEL_SERVER_KEY });
  const { definition } = await context.client.register(`
id: replay-llm-tools
version: 1
secrets: { key: "vault:~/llm#key" }
input: { type: object, properties: { target: { type: string } } }
start: ask
nodes:
  ask:
    type: llm
    provider: openai
    model: steward-local
    api_key: "{{ secrets.key }}"
    prompt: "Onboard the customer !tools=lookup_customer"
    tools:
      - name: lookup_customer
        description: Find a customer by id
        input_schema: { type: object, required: [customer_id], properties: { customer_id: { type: string } } }
    next: done
  lookup_customer:
    type: tool
    tool: http
    request: { method: POST, url: "{{ input.target }}/customers", body: { customer_id: "{{ nodes.lookup_customer.arguments.customer_id }}" } }
  done: { type: end, output: nodes.ask.output }
`);
  const run = await context.client.start({ workflow: definition.id, input: { target: context.target.url }, workflowId: workflowIdOf('llm-tool-loop') });
  const answer = await run.result();
  ok(typeof answer === 'string' && answer.startsWith('done: lookup_customer; last result: ') && answer.includes('"path":"/customers"'), `llm-tool-loop: unexpected answer ${JSON.stringify(answer)}`);
  ok(context.target.requests.some((request) => request.path === '/customers'), 'llm-tool-loop: the tool step never reached its target');
  return [{ name: 'llm-tool-loop', workflowId: run.workflowId, runId: run.runId }];
}

/** The tenant calls its own exposed definition over A2A (one organisation playing both sides): send, poll, result. */
async function recordA2a(context: RecordingContext): Promise<RecordedRun[]> {
  const org = await createOrganisation('replay-org');
  const endpoint = await startFederationServer(org);
  const admin = operatorPool();
  try {
    await context.client.register(`
id: replay-a2a-served
version: 1
start: hold
nodes:
  hold: { type: wait, duration: 1s, next: done }
  done: { type: end, output: "{'quoted': input.item}" }
`);
    const token = await federate(admin, context.tenant, 'replay-a2a-served', org);
    const certificate = await clientCertificate(org);
    await writeVaultSecret(`tenants/${context.tenant}/federation`, { token, cert: certificate.certPem, key: certificate.keyPem, ca: endpoint.serverCa });
    const path = `secret/data/tenants/${context.tenant}/federation`;
    return await runToEnd(context, 'a2a', `
id: replay-a2a
version: 1
secrets: { token: "vault:${path}#token", cert: "vault:${path}#cert", key: "vault:${path}#key", ca: "vault:${path}#ca" }
start: ask
nodes:
  ask:
    type: a2a
    agent_url: "${endpoint.url}/a2a/${context.tenant}/replay-a2a-served"
    token: "{{ secrets.token }}"
    client_certificate: "{{ secrets.cert }}"
    client_key: "{{ secrets.key }}"
    server_ca: "{{ secrets.ca }}"
    input: { item: "widgets" }
    poll_interval: 500ms
    next: done
  done: { type: end, output: nodes.ask.output.output }
`, {}, { quoted: 'widgets' });
  } finally {
    await endpoint.close();
    await admin.end();
  }
}

// An outage of a dependency Steward runs on is waited out, not spent from the step's own retry: with a step allowed a
// single attempt, a secret backend, database, JWKS or STS that is down for a while delays the run but never fails
// it. The worker reaches each dependency through a proxy this file cuts; each outage lasts 8 s.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import type { StewardClient } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import type { ProxiedWorker } from '../support/proxied-worker';
import { stsUrl, waitForHistoryEvent } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';
import { callsOf, rawHistory, startOutageTenant, whileCut, type OutageTenant } from './outage-fixtures';

const OUTAGE_MS = 8_000;
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
let served: OutageTenant;
let tenant: TenantId;
let proxied: ProxiedWorker;
let database: TcpProxy;
let vault: TcpProxy;
let sts: TcpProxy;
let client: StewardClient;
let target: HttpTarget;

beforeAll(async () => {
  [served, target] = await Promise.all([startOutageTenant('dependency-outages', CANARY), startHttpTarget()]);
  ({ tenant, proxied, client } = served);
  ({ database, vault, sts } = proxied.proxies);
});

afterAll(async () => {
  await served?.stop();
  await target?.close();
});

/** Cuts `proxy` for the outage while `work` runs. */
const during = <T>(proxy: TcpProxy, work: () => Promise<T>) => whileCut(proxy, OUTAGE_MS, work);

test('a Vault outage during a secret-resolving step is waited out without spending the step\'s single attempt', async () => {
  await client.register(`
id: secret-during-outage
version: 1
input: { type: object, properties: { target: { type: string } } }
secrets: { api: "vault:secret/data/tenants/${tenant}/tools#api_token" }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: POST, url: "{{ input.target }}/orders", headers: { Authorization: "Bearer {{ secrets.api }}" } }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: "{'status': nodes.call.output.ok}" }
`);
  const run = await during(vault, () => client.start({ workflow: 'secret-during-outage', input: { target: target.url } }));
  expect(await run.result()).toEqual({ status: true });
  expect(target.requests.filter((request) => request.headers.authorization === `Bearer ${CANARY}`)).toHaveLength(1);

  // The step was called again after the outage, each time as its first attempt, with timers in between.
  const calls = await callsOf(run, 'runTool');
  expect(calls.scheduled).toBeGreaterThanOrEqual(2);
  expect(calls.highestAttempt).toBe(1);
  expect(calls.timers).toBeGreaterThanOrEqual(1);
  const { text } = await rawHistory(run);
  expect(text).toContain('DEPENDENCY_UNAVAILABLE');
  expect(text).not.toContain(CANARY);
});

test('a database outage while a tool call is audited is waited out, and the call is in the audit trail', async () => {
  // The target takes the database down as it answers the first call: the audit entry of that call cannot be written.
  let calls = 0;
  const cutting: Server = createServer((request, response) => {
    request.resume();
    calls += 1;
    const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}');
    if (calls === 1) void during(database, async () => answer());
    else answer();
  });
  await new Promise<void>((resolve) => cutting.listen(0, '127.0.0.1', resolve));
  try {
    await client.register(`
id: audit-during-outage
version: 1
input: { type: object, properties: { target: { type: string } } }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/orders" }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: "{'status': nodes.call.output.ok}" }
`);
    const run = await client.start({ workflow: 'audit-during-outage', input: { target: `http://127.0.0.1:${(cutting.address() as AddressInfo).port}` } });
    expect(await run.result()).toEqual({ status: true });
    expect((await callsOf(run, 'runTool')).highestAttempt).toBe(1);
    // The call that got through after the outage is audited; the one whose entry could not be written is retried.
    const audited = (await listAuditEvents(proxied.pool, tenant, { workflowId: run.workflowId })).filter((event) => event.type === 'tool.call');
    expect(audited.length).toBeGreaterThanOrEqual(1);
    expect(audited.at(-1)).toMatchObject({ step: 'call', payload: { method: 'GET', status: 200, outcome: 'ok' } });
  } finally {
    await new Promise((resolve) => cutting.close(resolve));
  }
});

test('an approval sent while the JWKS is unreachable is refused retryably, the run waits on, and a later decision completes it', async () => {
  await client.register(`
id: approval-during-outage
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [carol] }, allow_self_approval: true, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  const run = await client.start({ workflow: 'approval-during-outage', input: {} });
  // The approval's timer is the sign that it waits for decisions.
  await waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));
  const token = async () => (await mintDevToken(stsUrl(), { user: 'carol', tenant })).accessToken;
  await sts.cut();
  try {
    const answer = await run.approve({ token: await token() });
    expect(answer).toMatchObject({ accepted: false });
    expect((answer as { reason: string }).reason).toMatch(/could not be verified just now .*send it again/);
    const state = await run.query<{ status: string }>('state');
    expect(state.status).toBe('awaiting_approval');
  } finally {
    await sts.restore();
  }
  expect(await run.approve({ token: await token() })).toMatchObject({ accepted: true, approver: 'carol' });
  expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
});

describe('a delegated tool step', () => {
  let api: ExpensesApi;
  beforeAll(async () => {
    api = await startExpensesApi({ port: 0, issuer: stsUrl() });
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('waits out an STS outage instead of spending its single attempt', async () => {
    await client.register(`
id: delegated-during-outage
version: 1
oauth:
  token_endpoint: ${proxied.through(sts, stsUrl())}/token
  client_id: expense-agent
  client_secret: "{{ secrets.expense_agent }}"
  audience: expenses-api
secrets: { expense_agent: "vault:~/agents#expense_agent" }
start: submit
nodes:
  submit:
    type: tool
    tool: http
    request: { method: POST, url: "${api.url}/expenses", body: { amount: 12, description: "train ticket", category: travel } }
    oauth_scopes: { required_scopes: ["expenses:write"], audience: expenses-api }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: "{'submitted': true}" }
`);
    const userToken = (await mintDevToken(stsUrl(), { user: 'alice', tenant })).accessToken;
    const run = await during(sts, () => client.start({ workflow: 'delegated-during-outage', input: {}, userToken }));
    expect(await run.result()).toEqual({ submitted: true });
    expect(api.accepted).toHaveLength(1);
    const calls = await callsOf(run, 'runTool');
    expect(calls.scheduled).toBeGreaterThanOrEqual(2);
    expect(calls.highestAttempt).toBe(1);
    expect((await rawHistory(run)).text).not.toContain(userToken);
  });
});

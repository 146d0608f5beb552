// An outage of a dependency Steward runs on is waited out, not spent from the step's own retry: with a step allowed a
// single attempt, a secret backend, database, JWKS or STS that is down for a while delays the run but never fails
// it. Nor does a database outage at the bookkeeping a run cannot do without: its start, its approval records (a
// decision, a timeout), the audit of a signal it refused or of a tool call a model may not make, the ledger of a model
// call. The worker reaches each dependency through a proxy this file cuts, for 8 s each time: longer than the few
// attempts such a write used to have. The bookkeeping outages have a tenant and Worker of their own, so they run
// while the step outages do.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import type { RunHandle, StewardClient } from '../../src/client';
import { withTenant } from '../../src/db/tenant-scope';
import { listRunLedger } from '../../src/llm/ledger';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { API_KEY, useModelServer } from '../support/model-server';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import type { ProxiedWorker } from '../support/proxied-worker';
import { stsUrl, waitForHistoryEvent, writeVaultSecret } from '../support/stack';
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
let books: OutageTenant;
let bookkeeping: Promise<BookkeepingRuns>;
const models = useModelServer();

beforeAll(async () => {
  [served, books, target] = await Promise.all([
    startOutageTenant('dependency-outages', CANARY),
    startOutageTenant('bookkeeping-outages', 'bookkeeping-token'),
    startHttpTarget(),
  ]);
  ({ tenant, proxied, client } = served);
  ({ database, vault, sts } = proxied.proxies);
  await writeVaultSecret(`tenants/${books.tenant}/llm`, { key: API_KEY });
  bookkeeping = throughBookkeepingOutages();
  // Its tests await it; it is never left unhandled meanwhile.
  bookkeeping.catch(() => undefined);
});

afterAll(async () => {
  await bookkeeping?.catch(() => undefined);
  await served?.stop();
  await books?.stop();
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

/** The runs whose bookkeeping met a database outage, and what the approver of one was told. */
interface BookkeepingRuns {
  started: RunHandle;
  timedOut: RunHandle;
  refusing: RunHandle;
  llm: RunHandle;
  decided: RunHandle;
  decisionAnswer: unknown;
  refusedCall: RunHandle;
}

/** Resolves once the run waits at a node (its start is behind it), so an outage meets what comes next. */
async function untilWaiting(run: RunHandle): Promise<void> {
  // A query may be refused until the run's first workflow task is done.
  const pending = () => run.query<{ pending: unknown[] }>('state').then((state) => state.pending.length, () => 0);
  while ((await pending()) === 0) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Cuts the bookkeeping tenant's database as the write holding `marker` is sent, and restores it after the outage. */
async function outageAt(marker: string): Promise<void> {
  const proxy = books.proxied.proxies.database;
  await proxy.cutWhenSent(marker);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  await proxy.restore();
}

/**
 * Three outages, one after the other: one that several runs meet at different bookkeeping (a start, an approval's
 * timeout, a refused signal, an llm step's ledger), then one that meets an approval's decision as it is recorded,
 * then one that meets the audit of a tool call a model may not make.
 */
async function throughBookkeepingOutages(): Promise<BookkeepingRuns> {
  const { client: booksClient, tenant: booksTenant } = books;
  await registerBookkeepingDefinitions(booksClient, booksTenant);
  const start = (workflow: string) => booksClient.start({ workflow, input: {} });
  const [timedOut, refusing, llm] = await Promise.all([start('timeout-during-outage'), start('refusal-during-outage'), start('llm-during-outage')]);
  // The approval's timer is the sign that its pending row is written.
  await waitForHistoryEvent(timedOut, (event) => Boolean(event.timerStartedEventAttributes));
  await Promise.all([untilWaiting(refusing), untilWaiting(llm)]);
  const started = await whileCut(books.proxied.proxies.database, OUTAGE_MS, async () => {
    const run = await start('start-during-outage');
    // No approval is pending in that run: the signal is refused, and the refusal is audited.
    await refusing.signal('approval', { decision: 'approve', token: 'not-a-token' });
    await llm.signal('go');
    return run;
  });
  await refusing.signal('go');

  const decided = await start('decision-during-outage');
  // The approval's timer is the sign that its pending row is written: the next write to the table is the decision.
  await waitForHistoryEvent(decided, (event) => Boolean(event.timerStartedEventAttributes));
  const decisionOutage = outageAt('INSERT INTO approvals (');
  const approveAsCarol = async () => decided.approve({ token: (await mintDevToken(stsUrl(), { user: 'carol', tenant: booksTenant })).accessToken });
  let decisionAnswer = await approveAsCarol();
  // On a loaded machine the cut can land on the decision's verification instead: the answer then asks carol to send
  // it again shortly (APPROVER_UNVERIFIED), and she does, as an approver would.
  for (let resent = 0; !decisionAnswer.accepted && decisionAnswer.code === 'APPROVER_UNVERIFIED' && resent < 30; resent += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    decisionAnswer = await approveAsCarol();
  }
  await decisionOutage;

  const refusedCallOutage = outageAt('security.tool_call_refused');
  const refusedCall = await start('refused-call-during-outage');
  await refusedCallOutage;
  return { started, timedOut, refusing, llm, decided, decisionAnswer, refusedCall };
}

async function registerBookkeepingDefinitions(booksClient: StewardClient, booksTenant: TenantId): Promise<void> {
  const llmNode = { type: 'llm', provider: 'openai', base_url: models.server().openaiBaseUrl, model: 'steward-local', api_key: '{{ secrets.key }}' };
  const secrets = { key: `vault:secret/data/tenants/${booksTenant}/llm#key` };
  await booksClient.register(`
id: start-during-outage
version: 1
start: done
nodes:
  done: { type: end, output: "'started'" }
`);
  await booksClient.register(`
id: timeout-during-outage
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [carol] }, timeout: 4s, on_timeout: approve, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  await booksClient.register(`
id: decision-during-outage
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [carol] }, allow_self_approval: true, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  await booksClient.register(`
id: refusal-during-outage
version: 1
start: hold
nodes:
  hold: { type: wait, signal: go, next: done }
  done: { type: end, output: "'done'" }
`);
  await booksClient.register(
    JSON.stringify({
      id: 'llm-during-outage',
      version: 1,
      secrets,
      start: 'hold',
      nodes: {
        hold: { type: 'wait', signal: 'go', next: 'ask' },
        ask: { ...llmNode, prompt: 'hello', retry: { max_attempts: 1 }, next: 'done' },
        done: { type: 'end', output: 'nodes.ask.output' },
      },
    }),
  );
  await booksClient.register(
    JSON.stringify({
      id: 'refused-call-during-outage',
      version: 1,
      secrets,
      start: 'ask',
      nodes: {
        ask: { ...llmNode, prompt: 'Clean up !tools=delete_all', tools: ['delete_all'], next: 'done' },
        delete_all: { type: 'tool', tool: 'http', irreversible: true, request: { method: 'POST', url: `${target.url}/delete_all` } },
        done: { type: 'end', output: 'nodes.ask.output' },
      },
    }),
  );
}

describe('a database outage at its bookkeeping', () => {
  const approvalStatus = async (run: RunHandle) =>
    (await withTenant(books.proxied.pool, books.tenant, (db) => db.query<{ status: string }>('SELECT status FROM approvals WHERE workflow_id = $1', [run.workflowId]))).rows;
  const audited = async (run: RunHandle, type: string) => (await listAuditEvents(books.proxied.pool, books.tenant, { workflowId: run.workflowId })).filter((event) => event.type === type);

  test('at its start is waited out without spending its attempts, and the run completes', async () => {
    const { started } = await bookkeeping;
    expect(await started.result()).toBe('started');
    const { events, text } = await rawHistory(started);
    expect(events.filter((event) => event.timerStartedEventAttributes).length).toBeGreaterThanOrEqual(1);
    expect(text).toContain('DEPENDENCY_UNAVAILABLE');
  });

  test('when an approval\'s timeout decides it, the decision is recorded and the run completes', async () => {
    const { timedOut } = await bookkeeping;
    expect(await timedOut.result()).toEqual({ decision: 'approved', approvers: [], reason: 'timeout' });
    expect(await approvalStatus(timedOut)).toEqual([{ status: 'approved' }]);
  });

  test('as an approver\'s decision is recorded, it is recorded once the database is back and the run completes', async () => {
    const { decided, decisionAnswer } = await bookkeeping;
    expect(decisionAnswer).toMatchObject({ accepted: true, approver: 'carol' });
    expect(await decided.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
    expect(await approvalStatus(decided)).toEqual([{ status: 'approved' }]);
  });

  test('when a signal is refused, the refusal is still audited once the database is back', async () => {
    const { refusing } = await bookkeeping;
    expect(await refusing.result()).toBe('done');
    const refusals = await audited(refusing, 'approval.refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.payload).toMatchObject({ reason: 'no approval is pending in this run', signal: 'approval' });
  });

  test('at an llm step\'s ledger is waited out, and the step completes with exactly one ledger row', async () => {
    const { llm } = await bookkeeping;
    expect(await llm.result()).toBe('echo: hello');
    const ledger = await listRunLedger(books.proxied.pool, books.tenant, llm.workflowId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ status: 'completed' });
    const calls = await callsOf(llm, 'callLlm');
    expect(calls.scheduled).toBeGreaterThanOrEqual(2);
    expect(calls.highestAttempt).toBe(1);
  });

  test('as a tool call a model may not make is audited, the audit is written once the database is back, without spending its attempts', async () => {
    const { refusedCall } = await bookkeeping;
    expect(await refusedCall.result()).toMatch(/^done: delete_all; last result: not run: delete_all is irreversible/);
    expect(await audited(refusedCall, 'security.tool_call_refused')).toHaveLength(1);
    const calls = await callsOf(refusedCall, 'recordLlmEvent');
    expect(calls.scheduled).toBeGreaterThanOrEqual(2);
    expect(calls.highestAttempt).toBe(1);
    expect(target.requests.filter((request) => request.path === '/delete_all')).toEqual([]);
  });
});

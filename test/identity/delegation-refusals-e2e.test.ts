// Delegation refusals end to end, on the real stack (STS, Vault, Temporal, a real worker, the expenses API): a
// user's handle copied into another run, a renewal replayed into another run, a step asking past the agent's
// declared scopes, a target that answers 401 to a cached token, a run with no user at all, a renewal check that
// fails while the run waits — and the audit trail of the client's own verifications.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { mintDevToken, SECRET_AGENT_SECRET } from '../../dev-server/sts';
import { StewardClient, type RunHandle } from '../../src/client';
import { TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, stsUrl, temporalCli, testConfig, writeVaultSecret, type RunningWorker } from '../support/stack';
import { replyJson, startRogueServer, type RogueServer } from './rogue-server';

let tenant: TenantId;
let client: StewardClient;
let api: ExpensesApi;
let unauthorized: RogueServer;
let worker: RunningWorker;
/** Runs left waiting by a test: cancelled at the end, so nothing of this file lingers on the shared stack. */
const waiting: RunHandle[] = [];

/** Waits for the `go` signal, then submits an expense for the run's user (tagged, so it can be found at the API). */
function definition(id: string, options: { url?: string; requestedScopes?: string[] } = {}): string {
  const requested = options.requestedScopes ? `\n  requested_scopes: [${options.requestedScopes.join(', ')}]` : '';
  return `
id: ${id}
version: 1
input: { type: object, required: [tag], properties: { tag: { type: string } } }
oauth:
  token_endpoint: ${stsUrl()}/token
  client_id: expense-agent
  client_secret: "{{ secrets.expense_agent }}"
  audience: expenses-api${requested}
  escalation_timeout: 10m
secrets:
  expense_agent: "vault:secret/data/tenants/${tenant}/agents#expense_agent"
start: hold
nodes:
  hold: { type: wait, signal: go, timeout: 10m, next: submit }
  submit:
    type: tool
    tool: http
    request: { method: POST, url: "${options.url ?? api.url}/expenses", body: { amount: 5, description: "{{ input.tag }}" } }
    oauth_scopes: { required_scopes: [expenses:write], audience: expenses-api }
    retry: { max_attempts: 2, initial_interval: 100ms }
    next: done
  done: { type: end, output: nodes.submit.output }
`;
}

const userToken = async (user: string) => (await mintDevToken(stsUrl(), { user, tenant })).accessToken;

async function start(workflow: string, user?: string): Promise<{ run: RunHandle; tag: string; token?: string }> {
  const tag = randomUUID();
  const token = user ? await userToken(user) : undefined;
  const run = await client.start({ workflow, input: { tag }, ...(token ? { userToken: token } : {}) });
  waiting.push(run);
  return { run, tag, ...(token ? { token } : {}) };
}

/** What a tenant member can do with the raw Temporal CLI: start a run with any `user` they have seen in another run's input. */
async function startRaw(workflow: string, user: { subject: string; handle: string }): Promise<{ run: RunHandle; tag: string }> {
  const tag = randomUUID();
  const workflowId = `raw-${randomUUID()}`;
  const started = await temporalCli([
    'workflow', 'start', '--namespace', client.namespace, '--type', 'agentWorkflow', '--task-queue', TASK_QUEUE, '--workflow-id', workflowId,
    '--input', JSON.stringify({ workflow, input: { tag }, user }),
  ]);
  expect(started).toMatchObject({ code: 0 });
  const run = await client.getRun(workflowId);
  waiting.push(run);
  return { run, tag };
}

/** The handles sealed for a run, oldest first, as the database (the operator's view) holds them. */
async function handlesSealedFor(workflowId: string): Promise<string[]> {
  return withOwnerDb(async (db) => (await db.query<{ handle: string }>(`SELECT handle FROM user_tokens WHERE workflow_id = $1 ORDER BY created_at`, [workflowId])).rows.map((row) => row.handle));
}

async function withOwnerDb<T>(work: (db: PgClient) => Promise<T>): Promise<T> {
  const db = new PgClient({ connectionString: testConfig().databaseUrl });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

async function failureOf(run: RunHandle, timeoutMs = 30_000): Promise<{ type?: string; message: string; details?: unknown[] }> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    run.result().then(
      () => new Error('the run did not fail'),
      (error: unknown) => error,
    ),
    new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`the run did not fail within ${timeoutMs} ms`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (!(outcome instanceof WorkflowFailedError)) throw outcome;
  let cause: { type?: string; message: string; details?: unknown[]; cause?: unknown } | undefined = outcome.cause;
  while (cause?.cause instanceof Error) cause = cause.cause as typeof cause;
  return { type: cause?.type, message: cause?.message ?? outcome.message, details: cause?.details };
}

async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const auditOf = (run: RunHandle) => client.listAuditEvents({ workflowId: run.workflowId });

async function waitingAt(run: RunHandle, node: string, reason: 'delegation'): Promise<void> {
  await eventually(
    () => run.progress(),
    (state) => state.pending.some((wait) => wait.kind === 'approval' && wait.node === node && wait.reason === reason),
    `a ${reason} wait at ${node}`,
  );
}

beforeAll(async () => {
  tenant = await createTestTenant('refusals');
  await writeVaultSecret(`tenants/${tenant}/agents`, { expense_agent: SECRET_AGENT_SECRET });
  api = await startExpensesApi({ port: 0, issuer: stsUrl() });
  unauthorized = await startRogueServer((_form, res) => {
    res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
    replyJson(res, 401, { error: 'invalid_token' });
  });
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
  await client.register(definition('bound-delegation'));
});

afterAll(async () => {
  await Promise.all(waiting.map((run) => run.cancel().catch(() => undefined)));
  await client?.close();
  await worker?.stop();
  await api?.stop();
  await unauthorized?.stop();
});

test("a run started with another run's user handle is refused at the step (run_mismatch), audited, and never acts for that user", async () => {
  const alice = await start('bound-delegation', 'alice');
  const [handle] = await handlesSealedFor(alice.run.workflowId);
  expect(handle).toEqual(expect.any(String));

  // Mallory copies alice's {subject, handle} from her run's input into a run of her own.
  const stolen = await startRaw('bound-delegation', { subject: 'alice', handle: handle! });
  await stolen.run.signal('go');
  const failure = await failureOf(stolen.run);
  expect(failure).toMatchObject({ type: 'OAUTH_ERROR', details: [{ oauth_error: 'run_mismatch' }] });
  expect(failure.message).toMatch(/sealed for another run/);
  expect(api.accepted.some((entry) => JSON.stringify(entry.expense).includes(stolen.tag))).toBe(false);
  const events = await auditOf(stolen.run);
  expect(events.find((event) => event.type === 'oauth.refusal')).toMatchObject({ step: 'submit', payload: { outcome: 'denied', error_code: 'run_mismatch' } });
  expect(events.some((event) => event.type === 'oauth.exchange')).toBe(false);
  expect(historyText(await stolen.run.fetchHistory())).not.toContain(alice.token!.slice(-24));

  // Alice's own run still acts for her with the same handle.
  await alice.run.signal('go');
  expect(await alice.run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
});

test("a child run acts for its parent's user: the token sealed for the root serves the child's delegated step", async () => {
  // the child submits at once: no wait for a signal it could not be sent
  await client.register(definition('child-submit').replace('start: hold', 'start: submit').replace(/^ {2}hold: .*\n/m, ''));
  await client.register(`
id: parent-submit
version: 1
input: { type: object, required: [tag], properties: { tag: { type: string } } }
start: child
nodes:
  child: { type: subworkflow, workflow: child-submit, input: { tag: "{{ input.tag }}" }, next: done }
  done: { type: end, output: nodes.child.output }
`);
  const { run, tag } = await start('parent-submit', 'alice');
  expect(await run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
  const accepted = api.accepted.find((entry) => JSON.stringify(entry.expense).includes(tag));
  expect(accepted).toMatchObject({ subject: 'alice', scope: 'expenses:write' });
});

/**
 * A run of "alice" whose handle names no token, waiting for a fresh one at its step, and the handle of a fresh
 * token alice sent to another run of hers (sealed for that one).
 */
async function renewalForAnotherRun(): Promise<{ other: { run: RunHandle; tag: string }; renewed: string }> {
  const alice = await start('bound-delegation', 'alice');
  const other = await startRaw('bound-delegation', { subject: 'alice', handle: randomUUID() });
  await other.run.signal('go');
  await waitingAt(other.run, 'submit', 'delegation');
  await alice.run.renewUserToken(await userToken('alice'));
  const renewed = (await handlesSealedFor(alice.run.workflowId)).at(-1)!;
  return { other, renewed };
}

test('a fresh token is sealed for the run it is sent to: replayed into another run of the same user, it is refused', async () => {
  const { other, renewed } = await renewalForAnotherRun();
  await other.run.signal('user_token', { handle: renewed });
  const refused = await eventually(
    () => auditOf(other.run),
    (events) => events.some((event) => event.type === 'oauth.token_refused'),
    'the judgement of the replayed token',
  );
  expect(refused.find((event) => event.type === 'oauth.token_refused')).toMatchObject({ userId: 'alice', payload: { reason: 'the token was sealed for another run' } });
  await waitingAt(other.run, 'submit', 'delegation');

  // A renewal sent to the waiting run itself is sealed for it, and resumes it.
  await other.run.renewUserToken(await userToken('alice'));
  expect(await other.run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
});

test('a renewal whose check fails (a row re-pointed at this run never opens) does not end the wait; a good renewal then resumes the run', async () => {
  // A token sealed for alice's run, re-pointed in the database at the waiting run: the seal's aad names the first.
  const { other, renewed } = await renewalForAnotherRun();
  await withOwnerDb((db) => db.query(`UPDATE user_tokens SET workflow_id = $1 WHERE handle = $2`, [other.run.workflowId, renewed]));
  await other.run.signal('user_token', { handle: renewed });
  // The check fails three times; the run records the patch that keeps it waiting, and waits on.
  await eventually(
    async () => historyText(await other.run.fetchHistory()),
    (history) => history.includes('delegation-wait-outlasts-outage'),
    'the failed renewal check',
  );
  await waitingAt(other.run, 'submit', 'delegation');

  await other.run.renewUserToken(await userToken('alice'));
  expect(await other.run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
});

test("a step requiring a scope outside the agent's requested_scopes fails at once (scope_not_declared), though the user holds it", async () => {
  await client.register(definition('undeclared-scope', { requestedScopes: ['expenses:read'] }));
  const alice = await start('undeclared-scope', 'alice');
  await alice.run.signal('go');
  const failure = await failureOf(alice.run);
  expect(failure).toMatchObject({ type: 'OAUTH_ERROR', details: [{ oauth_error: 'scope_not_declared' }] });
  expect(failure.message).toMatch(/expenses:write/);
  const events = await auditOf(alice.run);
  expect(events.find((event) => event.type === 'oauth.refusal')).toMatchObject({ userId: 'alice', payload: { error_code: 'scope_not_declared' } });
  expect(events.some((event) => event.type === 'oauth.exchange')).toBe(false);
  expect(api.accepted.some((entry) => JSON.stringify(entry.expense).includes(alice.tag))).toBe(false);
});

test("a target's 401 to a delegated call escalates like a refused token and drops the run's cached tokens", async () => {
  await client.register(definition('unauthorized-target', { url: new URL(unauthorized.url).origin }));
  const alice = await start('unauthorized-target', 'alice');
  await alice.run.signal('go');
  await waitingAt(alice.run, 'submit', 'delegation');
  const refusals = (events: Awaited<ReturnType<typeof auditOf>>) => events.filter((event) => event.type === 'oauth.refusal');
  expect(refusals(await auditOf(alice.run))).toEqual([
    expect.objectContaining({ userId: 'alice', step: 'submit', payload: expect.objectContaining({ error_code: 'invalid_token', audience: 'expenses-api', scopes_requested: ['expenses:write'] }) }),
  ]);

  // Alice asks for another try: the token is exchanged afresh (the cached one was dropped), and refused again.
  expect(await alice.run.approve({ token: await userToken('alice') })).toMatchObject({ accepted: true, decision: 'approve' });
  const events = await eventually(() => auditOf(alice.run), (all) => refusals(all).length === 2, 'the second refusal');
  expect(events.filter((event) => event.type === 'oauth.exchange')).toHaveLength(2);
  expect(unauthorized.requests.filter((request) => request.authorization?.startsWith('Bearer '))).toHaveLength(2);

  expect(await alice.run.reject({ token: await userToken('alice') })).toMatchObject({ accepted: true, decision: 'reject' });
  expect(await failureOf(alice.run)).toMatchObject({ type: 'DELEGATION_REJECTED' });
});

test('a run started without a user token fails its delegated step at once, without waiting for an approver', async () => {
  const anonymous = await start('bound-delegation');
  await anonymous.run.signal('go');
  const failure = await failureOf(anonymous.run);
  expect(failure).toMatchObject({ type: 'OAUTH_ERROR', details: [{ oauth_error: 'no_user_token' }] });
  expect(failure.message).toMatch(/started without a user token/);
  expect((await auditOf(anonymous.run)).find((event) => event.type === 'oauth.refusal')).toMatchObject({ payload: { error_code: 'no_user_token' } });
});

test("the client's verification of a user token, at start and at renewal, granted or refused, is on the run's audit trail", async () => {
  const alice = await start('bound-delegation', 'alice');
  await alice.run.renewUserToken(await userToken('alice'));
  const verified = (await auditOf(alice.run)).filter((event) => event.type === 'oauth.verify');
  expect(verified).toEqual([
    expect.objectContaining({ userId: 'alice', payload: expect.objectContaining({ outcome: 'granted', stage: 'start', scopes_granted: ['expenses:read', 'expenses:write'] }) }),
    expect.objectContaining({ userId: 'alice', payload: expect.objectContaining({ outcome: 'granted', stage: 'renew' }) }),
  ]);

  const workflowId = `refused-${randomUUID()}`;
  const foreign = (await mintDevToken(stsUrl(), { user: 'alice', tenant: 'someone-else' })).accessToken;
  await expect(client.start({ workflow: 'bound-delegation', workflowId, input: { tag: 'x' }, userToken: foreign })).rejects.toMatchObject({ reason: 'tenant_mismatch' });
  expect(await client.listAuditEvents({ workflowId })).toEqual([
    expect.objectContaining({ type: 'oauth.refusal', payload: expect.objectContaining({ outcome: 'denied', stage: 'start', error_code: 'invalid_token', reason: 'tenant_mismatch' }) }),
  ]);
  expect(JSON.stringify(await client.listAuditEvents({ limit: 10_000 }))).not.toContain(foreign.slice(-24));
});

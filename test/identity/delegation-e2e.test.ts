// Delegated identity end to end, on the real stack: the expense example run for alice and for bob (amount 2500),
// a token revoked mid-run, a fresh token from the wrong user, self-approval, the model's review seeing the contact
// in the description masked only — and a canary scan proving neither the user's token, nor any exchanged token, nor
// that contact reaches raw history, the worker's logs, the audit trail, a database row or the model provider.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { DEV_MODEL_SERVER_KEY } from '../../dev-server/model-server';
import { mintDevToken, revokeDevToken, SECRET_AGENT_SECRET } from '../../dev-server/sts';
import { readStackFile } from '../../src/config/stack-file';
import { StewardClient, type RunHandle } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli, STEWARD_BIN } from '../support/cli';
import { historyText } from '../support/history-text';
import { createTestTenant, processExit, stsUrl, temporalCli, testConfig, writeVaultSecret } from '../support/stack';

const config = testConfig();
const stack = readStackFile(config.env.STEWARD_STATE_DIR);
let tenant: TenantId;
let client: StewardClient;
let api: ExpensesApi;
let worker: ChildProcess;
let workerLogs = '';
/** Every user token handed to a run in this file: none may appear anywhere but the sealed store. */
const userTokens: string[] = [];
const runs: RunHandle[] = [];

/** A contact planted in a run's description: PII the model provider may see masked only, and raw history never. */
interface PlantedContact {
  /** Not PII: finds the run's prompt among the model server's recorded requests. */
  tag: string;
  email: string;
  phone: string;
  description: string;
}
const contacts = new Map<string, PlantedContact>();

function plantContact(user: string): PlantedContact {
  const tag = randomUUID();
  const email = `${user}.${randomBytes(4).toString('hex')}@example.com`;
  const phone = `+1 415 555 ${randomInt(1000, 10_000)}`;
  return { tag, email, phone, description: `offsite ${tag} for ${user}, venue contact ${email} or ${phone}` };
}


/** The example as shipped, pointed at this stack's STS, this file's expenses API and this tenant's secrets. */
function exampleFor(apiUrl: string, options: { escalationTimeout?: string } = {}): string {
  const sts = new URL(stsUrl());
  let source = readFileSync('examples/expense-approval.yaml', 'utf8')
    .replaceAll('http://127.0.0.1:4444', sts.origin)
    .replaceAll('http://127.0.0.1:4030', apiUrl);
  if (options.escalationTimeout) source = source.replace('  audience: expenses-api\nsecrets:', `  audience: expenses-api\n  escalation_timeout: ${options.escalationTimeout}\nsecrets:`);
  return source;
}

async function userToken(user: string, extra: { scopes?: string[]; ttlSeconds?: number } = {}): Promise<string> {
  const { accessToken } = await mintDevToken(stsUrl(), { user, tenant, ...extra });
  userTokens.push(accessToken);
  return accessToken;
}

const approverToken = async (user: string) => (await mintDevToken(stsUrl(), { user, tenant })).accessToken;

async function start(user: string, amount: number): Promise<RunHandle> {
  const contact = plantContact(user);
  const run = await client.start({ workflow: 'expense-approval', input: { amount, description: contact.description }, userToken: await userToken(user) });
  runs.push(run);
  contacts.set(run.workflowId, contact);
  return run;
}

/** The bodies of the requests the stack's model server received: what a model provider would have seen. */
async function recordedBodies(): Promise<string[]> {
  const { requests } = (await (await fetch(`${stack!.services.llm!.url}/_recorded`)).json()) as { requests: Array<{ body: unknown }> };
  return requests.map((request) => JSON.stringify(request.body));
}

const recordedWith = async (marker: string) => (await recordedBodies()).filter((body) => body.includes(marker));

/** Waits until the run's state query shows an approval-style wait at `node`. */
async function waitingAt(run: RunHandle, node: string, reason?: 'delegation'): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await run.progress();
    if (state.pending.some((wait) => wait.kind === 'approval' && wait.node === node && wait.reason === reason)) return;
    if (Date.now() > deadline) throw new Error(`the run never waited at ${node}: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function failureOf(run: RunHandle): Promise<{ type?: string; message: string }> {
  try {
    await run.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      // The innermost failure says why: an activity's own failure sits under its ActivityFailure.
      let cause: { type?: string; message: string; cause?: unknown } | undefined = error.cause;
      while (cause?.cause instanceof Error) cause = cause.cause as typeof cause;
      return { type: cause?.type, message: cause?.message ?? error.message };
    }
    throw error;
  }
  throw new Error('the run did not fail');
}

beforeAll(async () => {
  tenant = await createTestTenant('expense');
  // The report agent authenticates with private_key_jwt: its private JWK is kept by the stack's STS.
  const stsKeys = JSON.parse(readFileSync(join(config.env.STEWARD_STATE_DIR, 'sts-keys.json'), 'utf8')) as { agent: unknown };
  await writeVaultSecret(`tenants/${tenant}/agents`, { expense_agent: SECRET_AGENT_SECRET, wrong: 'not-the-agent-secret', report_agent_key: JSON.stringify(stsKeys.agent) });
  // The review step calls the stack's model server with the tenant's own key.
  await writeVaultSecret(`tenants/${tenant}/llm`, { openai: DEV_MODEL_SERVER_KEY });
  api = await startExpensesApi({ port: 0, issuer: stsUrl() });
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (chunk) => (workerLogs += chunk));
  worker.stderr!.on('data', (chunk) => (workerLogs += chunk));
  client = await StewardClient.connect({ tenant });
  await client.register(exampleFor(api.url));
});

afterAll(async () => {
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
  await api?.stop();
});

test('alice, 2500: a finance manager approves, and the expense is submitted with a token scoped to exactly expenses:write', async () => {
  const run = await start('alice', 2500);
  await waitingAt(run, 'finance_approval');
  // alice may not approve her own expense, even if she were a finance manager (the token claims the group).
  const aliceAsManager = (await mintDevToken(stsUrl(), { user: 'alice', tenant, groups: ['finance-managers'] })).accessToken;
  expect(await run.approve({ token: aliceAsManager })).toEqual({ accepted: false, code: 'APPROVER_REFUSED', reason: 'self-approval is not allowed' });
  expect(await run.approve({ token: await approverToken('carol') })).toMatchObject({ accepted: true, approver: 'carol' });

  const output = (await run.result()) as { status: string; submitted_by: string };
  expect(output).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
  const accepted = api.accepted.find((entry) => entry.subject === 'alice');
  expect(accepted).toMatchObject({ subject: 'alice', actor: 'expense-agent', scope: 'expenses:write' });

  const events = await client.listAuditEvents({ workflowId: run.workflowId });
  const exchange = events.find((event) => event.type === 'oauth.exchange');
  expect(exchange).toMatchObject({ userId: 'alice', agentId: 'expense-approval', step: 'submit' });
  expect(exchange?.payload).toMatchObject({ outcome: 'granted', audience: 'expenses-api', scopes_requested: ['expenses:write'], scopes_granted: ['expenses:write'] });
  expect(events.find((event) => event.type === 'approval.refused')).toMatchObject({ userId: 'alice', payload: { reason: 'self-approval is not allowed' } });
});

test('the model reviews the description with its contact masked; the expense API gets it as written, with the category', async () => {
  const run = await start('alice', 40);
  expect(await run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
  const contact = contacts.get(run.workflowId)!;

  const [prompt, ...others] = await recordedWith(contact.tag);
  expect(others).toEqual([]);
  expect(prompt).toContain('Expense of 40 submitted by alice.');
  expect(prompt).toContain(`${contact.email[0]}***@example.com`);
  for (const value of [contact.email, contact.email.split('@')[0]!, contact.phone, contact.phone.slice('+1 '.length)]) expect(prompt).not.toContain(value);

  const accepted = api.accepted.find((entry) => JSON.stringify(entry.expense).includes(contact.tag));
  expect(accepted?.expense).toEqual({ amount: expect.anything(), description: contact.description, category: expect.stringMatching(/^(travel|meals|venue|equipment|other)$/) });

  const calls = (await client.listAuditEvents({ workflowId: run.workflowId })).filter((event) => event.type === 'llm.call');
  expect(calls).toEqual([expect.objectContaining({ step: 'review', payload: expect.objectContaining({ outcome: 'completed', prompt_hash: expect.stringMatching(/^hmac-sha256:/) }) })]);
  expect(calls[0]?.payload?.prompt).toBeUndefined();
});

test('bob, 2500: the submit step is refused with an OAuthError and the run escalates to a human, who ends it', async () => {
  const run = await start('bob', 2500);
  await waitingAt(run, 'finance_approval');
  expect(await run.approve({ token: await approverToken('carol') })).toMatchObject({ accepted: true });

  await waitingAt(run, 'submit', 'delegation');
  expect((await client.listPendingApprovals()).map((pending) => [pending.workflowId, pending.node])).toContainEqual([run.workflowId, 'submit']);
  // The inbox says why the run waits, so the person asked can act on it.
  expect((await client.listPendingApprovals({ workflowId: run.workflowId }))[0]).toMatchObject({
    kind: 'delegation',
    reason: expect.stringMatching(/^scope_denied: .*expenses:write/),
    decisions: 0,
    required: 1,
    deadline: expect.any(Date),
  });
  const refusal = (await client.listAuditEvents({ workflowId: run.workflowId })).find((event) => event.type === 'oauth.refusal');
  expect(refusal).toMatchObject({ userId: 'bob', step: 'submit', payload: { outcome: 'denied', error_code: 'scope_denied' } });
  expect(api.accepted.some((entry) => entry.subject === 'bob')).toBe(false);

  // Someone who is neither bob nor an escalation approver cannot decide.
  expect(await run.reject({ token: await approverToken('carol') })).toMatchObject({ accepted: false, code: 'APPROVER_REFUSED', reason: 'not among the approvers' });
  expect(await run.reject({ token: await approverToken('bob') })).toMatchObject({ accepted: true, approver: 'bob', decision: 'reject' });
  const failure = await failureOf(run);
  expect(failure.type).toBe('DELEGATION_REJECTED');
  expect(failure.message).toMatch(/expenses:write/);
});

test('a token revoked mid-run is seen at the step; only a fresh token of the same user resumes the run', async () => {
  const run = await start('alice', 2500);
  await waitingAt(run, 'finance_approval');
  expect(await revokeDevToken(stsUrl(), userTokens[userTokens.length - 1]!)).toBe(true);
  expect(await run.approve({ token: await approverToken('carol') })).toMatchObject({ accepted: true });
  await waitingAt(run, 'submit', 'delegation');

  // A fresh token, but bob's: refused, and the run keeps waiting.
  await run.renewUserToken(await userToken('bob'));
  const deadline = Date.now() + 30_000;
  while (!(await client.listAuditEvents({ workflowId: run.workflowId })).some((event) => event.type === 'oauth.token_refused')) {
    if (Date.now() > deadline) throw new Error('the token of the wrong user was never judged');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await waitingAt(run, 'submit', 'delegation');

  await run.renewUserToken(await userToken('alice'));
  expect(await run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
  const types = (await client.listAuditEvents({ workflowId: run.workflowId })).map((event) => event.type);
  expect(types).toEqual(expect.arrayContaining(['oauth.revocation', 'oauth.token_refused', 'oauth.token_renewed', 'oauth.exchange']));
  const inactive = (await client.listAuditEvents({ workflowId: run.workflowId })).find((event) => event.type === 'oauth.revocation');
  expect(inactive?.payload).toMatchObject({ outcome: 'denied', error_code: 'token_inactive' });
});

test('an agent that authenticates with private_key_jwt gets the same narrowly scoped token', async () => {
  const keyAgent = exampleFor(api.url)
    .replace('id: expense-approval', 'id: expense-key-agent')
    .replace('client_id: expense-agent', 'client_id: report-agent')
    .replace('client_secret: "{{ secrets.expense_agent }}"', 'private_key: "{{ secrets.report_key }}"')
    .replace('expense_agent: "vault:', 'report_key: "vault:')
    .replace('agents#expense_agent', 'agents#report_agent_key');
  await client.register(keyAgent);
  const run = await client.start({ workflow: 'expense-key-agent', input: { amount: 40, description: 'taxi' }, userToken: await userToken('alice') });
  runs.push(run);
  expect(await run.result()).toMatchObject({ status: 'submitted', submitted_by: 'alice' });
  expect(api.accepted.find((entry) => entry.actor === 'report-agent')).toMatchObject({ subject: 'alice', scope: 'expenses:write' });
});

test('a misconfigured agent (wrong client secret) fails the step at once: no human can fix that with a token', async () => {
  const misconfigured = exampleFor(api.url).replace('id: expense-approval', 'id: expense-misconfigured').replace('agents#expense_agent', 'agents#wrong');
  await client.register(misconfigured);
  const run = await client.start({ workflow: 'expense-misconfigured', input: { amount: 10, description: 'x' }, userToken: await userToken('alice') });
  runs.push(run);
  const failure = await failureOf(run);
  expect(failure.type).toBe('OAUTH_ERROR');
  expect(failure.message).not.toContain('not-the-agent-secret');
  // The agent's credentials are first used to introspect the user token: that is where the server refuses them.
  const refusal = (await client.listAuditEvents({ workflowId: run.workflowId })).find((event) => event.type === 'oauth.introspection');
  expect(refusal).toMatchObject({ userId: 'alice', agentId: 'expense-misconfigured', payload: { outcome: 'denied', error_code: 'invalid_client' } });
});

test('`steward run --user-token -` reads the token from stdin; a refused token exits 2 and says why, without the token', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'steward-expense-')), 'expense.yaml');
  writeFileSync(file, exampleFor(api.url));
  const args = ['run', file, '--tenant', tenant, '--input', '{"amount": 75, "description": "books"}', '--wait', '--json', '--user-token', '-'];
  const token = await userToken('alice');
  const ran = await runCli(args, { stdin: token });
  expect(ran.stderr).toBe('');
  const summary = JSON.parse(ran.stdout) as { workflow_id: string; status: string; result: { submitted_by: string } };
  expect(summary).toMatchObject({ status: 'COMPLETED', result: { submitted_by: 'alice' } });
  runs.push(await client.getRun(summary.workflow_id));

  const foreign = (await mintDevToken(stsUrl(), { user: 'alice', tenant: 'someone-else' })).accessToken;
  const refused = await runCli(args, { stdin: foreign });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/belongs to another tenant/);
  expect(refused.stderr).not.toContain(foreign.slice(-24));
});

test('a forged or other-tenant user token is refused at start, before any run exists', async () => {
  const other = (await mintDevToken(stsUrl(), { user: 'alice', tenant: 'someone-else' })).accessToken;
  await expect(client.start({ workflow: 'expense-approval', input: { amount: 10, description: 'x' }, userToken: other })).rejects.toMatchObject({ code: 'TOKEN_INVALID', reason: 'tenant_mismatch' });
  const alice = await userToken('alice');
  const forged = `${alice.slice(0, alice.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
  await expect(client.start({ workflow: 'expense-approval', input: { amount: 10, description: 'x' }, userToken: forged })).rejects.toMatchObject({ code: 'TOKEN_INVALID', reason: 'signature_invalid' });
});

test('canary scan: no user or exchanged token and no planted contact in raw history, worker logs, the audit trail, any database row or what the model provider received', async () => {
  expect(runs.length).toBeGreaterThanOrEqual(3);
  expect(api.seenTokens.length).toBeGreaterThanOrEqual(2);
  expect(contacts.size).toBeGreaterThanOrEqual(3);
  // Tokens are long: any 24-character window would give one away (e.g. its signature). A contact is given away by
  // its email, the email's local part, or its phone number with or without the country code. A failure names the
  // canary by a label, so the scan never prints what it looks for.
  const canaries: Array<[label: string, text: string]> = [
    ...[...userTokens, ...api.seenTokens].flatMap((token, index): Array<[string, string]> => [[`token ${index}`, token], [`token ${index} (end)`, token.slice(-24)]]),
    ...[...contacts].flatMap(([workflowId, { email, phone }]): Array<[string, string]> => [
      [`email of ${workflowId}`, email],
      [`email local part of ${workflowId}`, email.split('@')[0]!],
      [`phone of ${workflowId}`, phone],
      [`national phone of ${workflowId}`, phone.slice('+1 '.length)],
    ]),
  ];

  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  const raw = new Client({ connection, namespace: client.namespace });
  const places: Record<string, string> = { 'worker logs': workerLogs };
  try {
    for (const run of runs) {
      places[`history of ${run.workflowId}`] = historyText(await raw.workflow.getHandle(run.workflowId).fetchHistory());
      const shown = await temporalCli(['workflow', 'show', '--namespace', client.namespace, '--workflow-id', run.workflowId, '--output', 'json']);
      places[`temporal workflow show ${run.workflowId}`] = historyText(JSON.parse(shown.stdout));
    }
  } finally {
    await connection.close();
  }
  places['audit trail'] = JSON.stringify(await client.listAuditEvents({ limit: 10_000 }));
  places['database'] = await dumpDatabase();
  places['model provider'] = (await recordedBodies()).join('\n');
  // Every planted run's prompt reached the provider, so the scan there looks at them.
  for (const [workflowId, { tag }] of contacts) expect({ workflowId, prompted: places['model provider'].includes(tag) }).toEqual({ workflowId, prompted: true });

  for (const [place, text] of Object.entries(places)) {
    for (const [canary, value] of canaries) expect({ place, canary, found: text.includes(value) }).toEqual({ place, canary, found: false });
  }
});

/** Every row of every table in the test database, as text (the owner's view, so nothing hides behind RLS). */
async function dumpDatabase(): Promise<string> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`);
    const parts: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await db.query(`SELECT * FROM ${name}`);
      parts.push(JSON.stringify(rows.rows, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('latin1') : value)));
    }
    return parts.join('\n');
  } finally {
    await db.end();
  }
}

// `steward runs list|show|trace|cancel`, failures that say why, and the approvals inbox, on the real stack: runs that
// completed, failed, wait for an approval, timed out and were cancelled. A viewer without `pii:read` sees masks, one
// with it sees values; another tenant's run is not found; a secret used by a failing step shows nowhere.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { mintDevToken } from '../../dev-server/sts';
import { createApprovalsGateway } from '../../src/servers/approvals-gateway';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { useLlmRuns } from '../support/llm-run';
import { runCli } from '../support/cli';
import { createTestTenant, stsUrl, testConfig, waitForHistoryEvent, writeVaultSecret } from '../support/stack';

// Each test drives the CLI as a separate process several times; on a shared, loaded machine that takes minutes.
jest.setTimeout(400_000);

const runs = useLlmRuns('runs-cli');
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const EMAIL = 'ada.lovelace@example.com';
const folder = mkdtempSync(join(tmpdir(), 'steward-runs-'));
let other: TenantId;
let gateway: FastifyInstance;
let gatewayUrl: string;

beforeAll(async () => {
  other = await createTestTenant('runs-cli-other');
  await writeVaultSecret(`tenants/${runs.tenant()}/tools`, { api_token: CANARY });
  gateway = createApprovalsGateway(testConfig());
  gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await gateway?.close();
});

const cli = (...args: string[]) => runCli([...args, '--tenant', runs.tenant()]);
const json = async (...args: string[]) => {
  const result = await cli(...args, '--json');
  if (result.code !== 0) throw new Error(`steward ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
};
const token = async (user: string, options: { tenant?: string; scopes?: string[]; groups?: string[] } = {}) =>
  (await mintDevToken(stsUrl(), { user, tenant: options.tenant ?? runs.tenant(), ...(options.scopes ? { scopes: options.scopes } : {}), ...(options.groups ? { groups: options.groups } : {}) })).accessToken;

function greeting() {
  return {
    id: 'runs-greet',
    version: 1,
    secrets: runs.secrets(),
    start: 'ask',
    nodes: {
      ask: { ...runs.llmNode('openai', { prompt: 'Say hello to {{ input.name }}' }), next: 'done' },
      done: { type: 'end', output: "{'answer': nodes.ask.output, 'email': input.email}" },
    },
  };
}

function approval(id: string, timeout: string) {
  return {
    id,
    version: 1,
    start: 'ask',
    nodes: {
      ask: { type: 'approval', approvers: { groups: ['finance-managers'] }, timeout, allow_self_approval: true, message: 'Approve {{ input.amount }} for {{ input.email }}', next: 'done' },
      done: { type: 'end', output: 'nodes.ask.output' },
    },
  };
}

const awaitingApproval = (run: { fetchHistory(): Promise<{ events?: Array<{ timerStartedEventAttributes?: unknown }> | null }> }) =>
  waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));

test('a completed run: list finds it by status and definition; show masks PII unless the viewer holds pii:read; trace has the model call', async () => {
  const run = await runs.start(greeting(), { name: 'Ada', email: EMAIL });
  await run.result();

  const listed = await json('runs', 'list', '--status', 'completed', '--definition', 'runs-greet', '--since', '1h');
  expect(listed).toContainEqual(expect.objectContaining({ workflowId: run.workflowId, status: 'completed', definition: 'runs-greet', version: 1 }));
  // The client takes the same filters.
  expect((await runs.client().listRuns({ status: 'failed' })).map((r) => r.workflowId)).not.toContain(run.workflowId);
  expect((await runs.client().listRuns({ since: new Date(Date.now() - 3_600_000), definition: 'runs-greet' })).map((r) => r.workflowId)).toContain(run.workflowId);
  expect(await runs.client().listRuns({ until: new Date('2000-01-01T00:00:00Z') })).toEqual([]);

  const masked = await json('runs', 'show', run.workflowId);
  expect(masked).toMatchObject({ status: 'completed', definition: 'runs-greet', version: 1, path: ['ask', 'done'], current: [], error: null, pii: 'masked' });
  expect(masked.output.answer).toBe('echo: Say hello to Ada');
  expect(JSON.stringify(masked)).not.toContain(EMAIL);
  expect(masked.input.email).toMatch(/\*.*@example\.com$/);

  // A viewer without pii:read still sees masks; one with it sees the values.
  expect(JSON.stringify(await runs.client().showRun(run.workflowId, { viewerToken: await token('alice') }))).not.toContain(EMAIL);
  const reader = await json('runs', 'show', run.workflowId, '--token', await token('alice', { scopes: ['pii:read'] }));
  expect(reader).toMatchObject({ pii: 'revealed', input: { email: EMAIL }, output: { email: EMAIL } });

  const trace = await json('runs', 'trace', run.workflowId);
  expect(trace.entries).toContainEqual(expect.objectContaining({ kind: 'step', node: 'ask', activity: 'callLlm', outcome: 'completed', attempts: 1 }));
  expect(trace.entries).toContainEqual(expect.objectContaining({ kind: 'llm', node: 'ask', model: 'steward-local', status: 'completed', promptTokens: expect.any(Number) }));
  expect(trace.llm.calls).toBe(1);
  expect(trace.llm.costUsd).toBeGreaterThan(0);
});

test('a failed run says why: its type, node and message in `run --json`, show and trace; the secret it used shows nowhere', async () => {
  const file = join(folder, 'failing.yaml');
  writeFileSync(
    file,
    `id: runs-failing
version: 1
secrets: { api: "vault:~/tools#api_token" }
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: POST, url: "${runs.target().url}/fail", headers: { Authorization: "Bearer {{ secrets.api }}" }, body: { token: "{{ secrets.api }}" } }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: nodes.call.output }
`,
  );
  const started = await cli('run', file, '--input', '{}', '--wait', '--json');
  expect(started.code).toBe(1);
  const summary = JSON.parse(started.stdout);
  expect(summary).toMatchObject({ status: 'FAILED', result: null, error: { type: 'TOOL_HTTP_ERROR', node: 'call', message: expect.stringContaining('500') } });
  expect(started.stderr).toMatch(/failed: TOOL_HTTP_ERROR at node call: .*500/);
  expect(started.stderr).not.toMatch(/Activity task failed/);

  const shown = await cli('runs', 'show', summary.workflow_id, '--json');
  expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'failed', error: { type: 'TOOL_HTTP_ERROR', node: 'call' } });
  const text = await cli('runs', 'show', summary.workflow_id);
  expect(text.stdout).toMatch(/error: +TOOL_HTTP_ERROR at node call/);
  const trace = await cli('runs', 'trace', summary.workflow_id, '--json');
  expect(JSON.parse(trace.stdout).entries).toContainEqual(expect.objectContaining({ kind: 'tool', node: 'call', status: 500, outcome: 'error' }));
  expect(JSON.parse(trace.stdout).entries).toContainEqual(expect.objectContaining({ kind: 'step', node: 'call', outcome: 'failed', error: expect.objectContaining({ type: 'TOOL_HTTP_ERROR' }) }));
  const textTrace = await cli('runs', 'trace', summary.workflow_id);
  expect(textTrace.stdout).toMatch(/tool call: POST 127\.0\.0\.1:\d+ → 500 \(error\)/);

  expect(runs.target().requests.some((request) => request.headers.authorization === `Bearer ${CANARY}`)).toBe(true);
  for (const output of [started, shown, text, trace, textTrace]) expect(output.stdout + output.stderr).not.toContain(CANARY);
  const reader = await cli('runs', 'show', summary.workflow_id, '--json', '--token', await token('alice', { scopes: ['pii:read'] }));
  expect(reader.stdout + reader.stderr).not.toContain(CANARY);
});

test('a run waiting for approval: list and show say so; the inbox (CLI, client, gateway) shows the message masked, approvers, count and deadline; the trace shows who approved and why', async () => {
  const run = await runs.start(approval('runs-approval', '1h'), { amount: 2500, email: EMAIL });
  await awaitingApproval(run);

  expect((await json('runs', 'list', '--status', 'awaiting_approval')).map((r: { workflowId: string }) => r.workflowId)).toContain(run.workflowId);
  const shown = await json('runs', 'show', run.workflowId);
  expect(shown).toMatchObject({ status: 'awaiting_approval', current: ['ask'], pending: [{ kind: 'approval', node: 'ask', until: expect.any(String) }] });
  expect(shown.approvals).toEqual([expect.objectContaining({ node: 'ask', decisions: 0, required: 1 })]);

  const inbox = (await runs.client().listPendingApprovals({ workflowId: run.workflowId }))[0];
  expect(inbox).toMatchObject({ kind: 'approval', approvers: { users: [], groups: ['finance-managers'] }, decisions: 0, required: 1, escalated: false, deadline: expect.any(Date) });
  expect(inbox?.message).toMatch(/^Approve 2500 for .*\*.*@example\.com$/);
  expect(inbox?.deadline!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

  const listed = await cli('approvals', 'list');
  const line = listed.stdout.split('\n').find((entry) => entry.startsWith(run.workflowId));
  expect(line).toMatch(/\tApprove 2500 for .*@example\.com\tapprovers group:finance-managers\t0\/1 decisions\tuntil 20/);
  expect(listed.stdout).not.toContain(EMAIL);

  const path = `/v1/tenants/${runs.tenant()}/approvals?run=${encodeURIComponent(run.workflowId)}`;
  const page = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${await token('alice')}` } });
  expect(page.status).toBe(200);
  const body = (await page.json()) as { approvals: unknown[] };
  expect(body.approvals).toEqual([
    {
      workflow_id: run.workflowId,
      run_id: run.runId,
      node: 'ask',
      kind: 'approval',
      message: inbox?.message,
      reason: null,
      approvers: { users: [], groups: ['finance-managers'] },
      decisions: 0,
      required: 1,
      deadline: inbox?.deadline?.toISOString(),
      escalated: false,
      since: expect.any(String),
    },
  ]);
  expect((await fetch(`${gatewayUrl}${path}`)).status).toBe(401);
  expect((await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${await token('alice', { tenant: other })}` } })).status).toBe(403);

  expect(await run.approve({ token: await token('carol', { groups: ['finance-managers'] }), comment: 'within budget' })).toMatchObject({ accepted: true });
  await run.result();
  const trace = await json('runs', 'trace', run.workflowId);
  expect(trace.entries).toContainEqual(expect.objectContaining({ kind: 'approval', node: 'ask', by: 'carol', outcome: 'accepted', decision: 'approve', comment: 'within budget' }));
  expect(await runs.client().listPendingApprovals({ workflowId: run.workflowId })).toEqual([]);
});

test('an escalation rewrites the inbox entry: the new approvers, the new deadline and escalated, in the client and the gateway; the new approver decides', async () => {
  const definition = approval('runs-approval-escalates', '2s');
  Object.assign(definition.nodes.ask, { on_timeout: 'escalate', escalate_to: { users: ['bob'], timeout: '1h' } });
  const run = await runs.start(definition, { amount: 900, email: EMAIL });
  const escalated = async () => (await runs.client().listPendingApprovals({ workflowId: run.workflowId })).find((entry) => entry.escalated);
  const deadlineBefore = Date.now() + 50 * 60_000;
  let entry = await escalated();
  for (const started = Date.now(); entry === undefined && Date.now() - started < 60_000; entry = await escalated()) await new Promise((r) => setTimeout(r, 250));
  expect(entry).toMatchObject({ kind: 'approval', approvers: { users: ['bob'], groups: [] }, decisions: 0, required: 1, escalated: true });
  expect(entry?.deadline!.getTime()).toBeGreaterThan(deadlineBefore);
  expect(await runs.client().listPendingApprovals({ workflowId: run.workflowId })).toHaveLength(1);

  const page = await fetch(`${gatewayUrl}/v1/tenants/${runs.tenant()}/approvals?run=${encodeURIComponent(run.workflowId)}`, { headers: { authorization: `Bearer ${await token('alice')}` } });
  expect(((await page.json()) as { approvals: unknown[] }).approvals).toEqual([
    expect.objectContaining({ approvers: { users: ['bob'], groups: [] }, escalated: true, deadline: entry?.deadline?.toISOString() }),
  ]);
  expect(await run.approve({ token: await token('bob'), comment: 'escalated and fine' })).toMatchObject({ accepted: true });
  await expect(run.result()).resolves.toMatchObject({ decision: 'approved', approvers: ['bob'] });
});

test('an approval that times out fails the run as WAIT_TIMEOUT, saying it timed out rather than that it was rejected', async () => {
  const run = await runs.start(approval('runs-approval-timeout', '2s'), { amount: 10, email: EMAIL });
  const outcome = await run.outcome();
  expect(outcome).toEqual({ status: 'failed', error: { type: 'WAIT_TIMEOUT', node: 'ask', message: expect.stringContaining('timed out') } });
  if (outcome.status === 'failed') expect(outcome.error.message).not.toMatch(/rejected/);
  expect(await json('runs', 'show', run.workflowId)).toMatchObject({ status: 'failed', error: { type: 'WAIT_TIMEOUT', node: 'ask' } });
});

test('cancel: a waiting run is cancelled and shows as such; cancelling it again exits 1 saying it has ended', async () => {
  const run = await runs.start(approval('runs-approval', '1h'), { amount: 5, email: EMAIL });
  await awaitingApproval(run);
  const cancelled = await json('runs', 'cancel', run.workflowId);
  expect(cancelled).toMatchObject({ workflowId: run.workflowId, requested: true, status: 'cancelled' });
  expect(await json('runs', 'show', run.workflowId)).toMatchObject({ status: 'cancelled', error: { type: 'CANCELLED' } });
  expect((await json('runs', 'list', '--status', 'cancelled')).map((r: { workflowId: string }) => r.workflowId)).toContain(run.workflowId);
  expect((await runs.client().listAuditEvents({ workflowId: run.workflowId })).map((event) => event.type)).toContain('run.cancel_requested');
  const again = await cli('runs', 'cancel', run.workflowId);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('has already ended (cancelled)');
});

test("another tenant's run id is not found, for every runs command; so is an unknown one", async () => {
  const run = await runs.start(approval('runs-approval', '1h'), { amount: 7, email: EMAIL });
  try {
    for (const command of ['show', 'trace', 'cancel']) {
      const answer = await runCli(['runs', command, run.workflowId, '--tenant', other]);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toBe(`steward: run "${run.workflowId}" not found\n`);
    }
    expect(await runCli(['runs', 'list', '--tenant', other, '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect((await cli('runs', 'show', 'no-such-run')).stderr).toContain('run "no-such-run" not found');
    expect((await cli('runs', 'list', '--status', 'sleeping')).code).toBe(2);
  } finally {
    await run.cancel();
  }
});

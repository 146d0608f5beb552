// Approvals from the attacker's side: a captured approver token (from a raw signal's history or a decoded view)
// replayed into another run or through the gateway, a decision sent before the approver could see what it
// approves, a flood of decisions for nodes that never wait, and a starter approving their own run. Each is refused
// and audited where it is decided.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient, type RunHandle } from '../../src/client';
import { createApprovalsGateway } from '../../src/servers/approvals-gateway';
import { createCodecServer } from '../../src/servers/codec-server';
import { TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, stsUrl, temporalCli, testConfig, waitForHistoryEvent, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let gateway: FastifyInstance;
let gatewayUrl: string;
let codecServer: FastifyInstance;
let codecUrl: string;

beforeAll(async () => {
  tenant = await createTestTenant('approval-attacks');
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
  await client.register(`
id: gated
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: other }
  other: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: done }
  done: { type: end, output: "{'ask': nodes.ask.output, 'other': nodes.other.output}" }
`);
  await client.register(`
id: delayed
version: 1
start: pause
nodes:
  pause: { type: wait, duration: 3s, next: ask }
  ask: { type: approval, approvers: { groups: [finance-managers] }, message: "Approve the amount?", timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  await client.register(`
id: self-allowed
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, allow_self_approval: true, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  gateway = createApprovalsGateway(testConfig());
  gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  codecServer = createCodecServer({ config: testConfig(), corsOrigins: [], devNoAuth: true });
  codecUrl = await codecServer.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await codecServer?.close();
  await gateway?.close();
  await client?.close();
  await worker?.stop();
});

const mint = async (user: string, groups: string[] = [], scopes?: string[]) =>
  (await mintDevToken(stsUrl(), { user, tenant, groups, ...(scopes ? { scopes } : {}) })).accessToken;
const manager = (user = 'carol') => mint(user, ['finance-managers']);

async function waitingRun(workflow = 'gated', starter = 'alice'): Promise<RunHandle> {
  const run = await client.start({ workflow, input: {}, userToken: await mint(starter) });
  await waitForApprovalWait(run, 'ask');
  return run;
}

async function waitForApprovalWait(run: RunHandle, node: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await run.progress();
    if (state.pending.some((wait) => wait.kind === 'approval' && wait.node === node)) return;
    if (Date.now() > deadline) throw new Error(`node ${node} never waited`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rawSignal(run: RunHandle, decision: Record<string, unknown>): Promise<void> {
  const sent = await temporalCli(['workflow', 'signal', '--namespace', tenant, '--workflow-id', run.workflowId, '--name', 'approval', '--input', JSON.stringify(decision)]);
  expect(sent.code).toBe(0);
}

/** The run's audit entries of one type once there are at least `count` of them. */
async function auditOf(workflowId: string, type: string, count = 1) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = (await client.listAuditEvents({ workflowId })).filter((event) => event.type === type);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function pendingAt(run: RunHandle): Promise<string[]> {
  const state = await run.progress();
  return state.pending.filter((wait) => wait.kind === 'approval').map((wait) => wait.node);
}

async function postDecision(workflowId: string, bearer: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gatewayUrl}/v1/tenants/${tenant}/runs/${workflowId}/approvals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ decision: 'approve' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('a captured approver token decides one run and node, once', () => {
  test('a token read from a raw signal in history, replayed into another run and through the gateway, is refused and audited', async () => {
    const [first, second, third] = await Promise.all([waitingRun(), waitingRun(), waitingRun()]);
    const captured = await manager();
    await rawSignal(first, { decision: 'approve', token: captured, node: 'ask' });
    await waitForApprovalWait(first, 'other');

    await rawSignal(second, { decision: 'approve', token: captured, node: 'ask' });
    expect(await auditOf(second.workflowId, 'approval.refused')).toEqual([
      expect.objectContaining({
        step: 'ask',
        userId: 'carol',
        payload: { reason: 'approver token already used: each decision needs a fresh token', used_for: { workflow_id: first.workflowId, node: 'ask' } },
      }),
    ]);
    expect(await pendingAt(second)).toEqual(['ask']);

    // The same run's next node is another decision: the token is spent there too.
    await rawSignal(first, { decision: 'approve', token: captured, node: 'other' });
    expect((await auditOf(first.workflowId, 'approval.refused'))[0]).toMatchObject({ step: 'other', payload: { reason: expect.stringContaining('already used') } });
    expect(await pendingAt(first)).toEqual(['other']);

    expect(await postDecision(third.workflowId, captured)).toEqual({ status: 403, body: { accepted: false, code: 'APPROVER_REFUSED', reason: 'approver token already used: each decision needs a fresh token' } });
    expect(await auditOf(third.workflowId, 'approval.refused')).toHaveLength(1);
    expect(await pendingAt(third)).toEqual(['ask']);
    await Promise.all([first, second, third].map((run) => run.cancel()));
  });

  test('a decision through the client leaves no token in history or in any decoded view, and its handle opens nowhere else', async () => {
    const [run, other] = await Promise.all([waitingRun(), waitingRun()]);
    const token = await manager();
    expect(await run.approve({ token, node: 'ask' })).toMatchObject({ accepted: true, approver: 'carol' });
    await waitForApprovalWait(run, 'other');

    // Decoded views as the Temporal CLI shows them through the codec server (payload data decoded from base64).
    const show = async (auth?: string) => {
      const shown = await temporalCli([
        'workflow', 'show', '--namespace', tenant, '--workflow-id', run.workflowId, '--output', 'json', '--codec-endpoint', codecUrl,
        ...(auth ? ['--codec-auth', auth] : []),
      ]);
      expect(shown.code).toBe(0);
      return historyText(JSON.parse(shown.stdout));
    };
    const signature = token.split('.')[2]!;
    const views = [
      ['raw history', historyText(await run.fetchHistory())],
      ['the dev codec server without a token', await show()],
      ['a viewer without pii:read', await show(`Bearer ${await mint('bob', [], ['expenses:read'])}`)],
      ['a viewer with pii:read', await show(`Bearer ${await mint('alice', [], ['pii:read'])}`)],
    ] as const;
    for (const [where, text] of views) {
      if (text.includes(signature) || text.includes(token.split('.')[1]!)) throw new Error(`${where} shows the approver's token`);
    }
    const handle = /"token_handle":\s*"([0-9a-f-]{36})"/.exec(views[3][1])?.[1];
    expect(handle).toBeDefined();

    await rawSignal(other, { decision: 'approve', token_handle: handle, node: 'ask' });
    expect(await auditOf(other.workflowId, 'approval.refused')).toEqual([
      expect.objectContaining({ payload: { reason: 'approver token refused: the handle is unknown, expired or sealed for another run' } }),
    ]);
    expect(await pendingAt(other)).toEqual(['ask']);
    await Promise.all([run.cancel(), other.cancel()]);
  });
});

describe('a decision counts only at a node that is waiting for it', () => {
  test('an approval sent before the node waits is refused and audited, and not counted once it waits', async () => {
    const run = await client.start({ workflow: 'delayed', input: {}, userToken: await mint('alice') });
    await waitForHistoryEvent(run, (e: { timerStartedEventAttributes?: unknown }) => Boolean(e.timerStartedEventAttributes));
    await rawSignal(run, { decision: 'approve', token: await manager(), node: 'ask' });
    expect(await auditOf(run.workflowId, 'approval.refused')).toEqual([
      expect.objectContaining({ step: 'ask', payload: { reason: 'no approval is pending in this run', signal: 'approval' } }),
    ]);
    await waitForApprovalWait(run, 'ask');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await pendingAt(run)).toEqual(['ask']);
    expect(await auditOf(run.workflowId, 'approval.accepted', 0)).toEqual([]);
    expect(await run.approve({ token: await manager() })).toMatchObject({ accepted: true });
    expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
  });

  test('decisions for a node that never waits are refused on arrival, not kept', async () => {
    const run = await waitingRun();
    for (let i = 0; i < 5; i++) await rawSignal(run, { decision: 'approve', token: `not-a-token-${i}`, node: 'ghost', comment: 'x'.repeat(10_000) });
    const refused = await auditOf(run.workflowId, 'approval.refused', 5);
    expect(refused).toHaveLength(5);
    for (const event of refused) expect(event).toMatchObject({ step: 'ghost', payload: { reason: 'no approval is pending at node ghost' } });
    // Nothing was queued: the waiting node verified none of them.
    expect(refused.every((event) => event.userId === undefined)).toBe(true);
    expect(await pendingAt(run)).toEqual(['ask']);
    await run.cancel();
  });
});

describe('self-approval needs a verified starter to rule it out', () => {
  test('a run started without a user token refuses approvals: its starter is unknown', async () => {
    const run = await client.start({ workflow: 'gated', input: {} });
    await waitForApprovalWait(run, 'ask');
    expect(await run.approve({ token: await manager('bob') })).toEqual({
      accepted: false,
      code: 'APPROVER_REFUSED',
      reason: 'the run has no verified starter, so self-approval cannot be ruled out (start it with a user token, or set allow_self_approval)',
    });
    expect((await auditOf(run.workflowId, 'approval.refused'))[0]).toMatchObject({ userId: 'bob' });
    await run.cancel();
  });

  test('a raw `temporal workflow start` claiming another user is no verified starter either', async () => {
    const workflowId = `gated-raw-${randomUUID()}`;
    const started = await temporalCli([
      'workflow', 'start', '--namespace', tenant, '--type', 'agentWorkflow', '--task-queue', TASK_QUEUE, '--workflow-id', workflowId,
      '--input', JSON.stringify({ workflow: 'gated', input: {}, user: { subject: 'alice', handle: randomUUID() } }),
    ]);
    expect(started.code).toBe(0);
    const run = await client.getRun(workflowId);
    await waitForApprovalWait(run, 'ask');
    expect(await run.approve({ token: await manager('bob') })).toMatchObject({ accepted: false, reason: expect.stringContaining('no verified starter') });
    await run.cancel();
  });

  test('the verified starter may not approve; another approver may; allow_self_approval lets the starter', async () => {
    const run = await waitingRun('gated', 'carol');
    expect(await run.approve({ token: await manager('carol') })).toEqual({ accepted: false, code: 'APPROVER_REFUSED', reason: 'self-approval is not allowed' });
    expect(await run.approve({ token: await manager('bob') })).toMatchObject({ accepted: true, approver: 'bob' });
    await run.cancel();

    const allowed = await client.start({ workflow: 'self-allowed', input: {} });
    await waitForApprovalWait(allowed, 'ask');
    expect(await allowed.approve({ token: await manager('bob') })).toMatchObject({ accepted: true, approver: 'bob' });
    expect(await allowed.result()).toEqual({ decision: 'approved', approvers: ['bob'] });
  });
});

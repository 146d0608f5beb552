// Human approvals on the real stack: decisions from the Temporal CLI, the Steward CLI and the typed client;
// N-of-M, rejection routing, timeouts and escalation; and every forged or misplaced decision refused and audited.
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient, type RunHandle } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, startTenantWorker, stsUrl, temporalCli, testConfig, waitForHistoryEvent, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;

beforeAll(async () => {
  tenant = await createTestTenant('approvals');
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
  await client.register(`
id: finance-approval
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, on_reject: rejected, next: done }
  done: { type: end, output: nodes.ask.output }
  rejected: { type: end, output: "{'rejected': nodes.ask.output}" }
`);
  await client.register(`
id: two-of-three
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [alice, bob, carol] }, required: 2, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  await client.register(`
id: timed-approvals
version: 1
input: { type: object, properties: { mode: { type: string } } }
start: route
nodes:
  route: { type: condition, branches: [{ when: "input.mode == 'escalate'", next: escalating }], default: expiring }
  expiring: { type: approval, approvers: { users: [alice] }, timeout: 2s, on_timeout: reject, on_reject: expired, next: done }
  escalating:
    type: approval
    approvers: { users: [alice] }
    timeout: 2s
    on_timeout: escalate
    escalate_to: { users: [bob], timeout: 1h }
    next: done
  expired: { type: end, output: "{'expired': true}" }
  done: { type: end, output: "{'approved_by': nodes.escalating.output.approvers}" }
`);
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
});

const token = async (user: string, options: { tenant?: string; groups?: string[] } = {}) =>
  (await mintDevToken(stsUrl(), { user, tenant: options.tenant ?? tenant, ...(options.groups ? { groups: options.groups } : {}) })).accessToken;

/** Starts a run as a verified starter who does not approve it, and waits for its approval node. */
async function startWaiting(workflow: string, input: unknown = {}): Promise<RunHandle> {
  const starter = workflow === 'finance-approval' ? 'alice' : 'carol';
  const run = await client.start({ workflow, input, userToken: await token(starter) });
  await waitForHistoryEvent(run, (e) => Boolean(e.timerStartedEventAttributes));
  return run;
}

async function stillWaiting(run: RunHandle): Promise<boolean> {
  const state = await run.progress();
  return state.status === 'awaiting_approval' && state.pending.some((p) => p.kind === 'approval');
}

test('approve through the raw `temporal workflow signal` command an internal tool would run', async () => {
  const run = await startWaiting('finance-approval');
  const signal = await temporalCli([
    'workflow', 'signal', '--namespace', tenant, '--workflow-id', run.workflowId, '--name', 'approval',
    '--input', JSON.stringify({ decision: 'approve', token: await token('carol', { groups: ['finance-managers'] }), node: 'ask' }),
  ]);
  expect(signal.code).toBe(0);
  expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
});

test('approve through `steward approve`, which answers synchronously; the pending list follows the run', async () => {
  const run = await startWaiting('finance-approval');
  expect((await client.listPendingApprovals()).map((p) => [p.workflowId, p.node])).toContainEqual([run.workflowId, 'ask']);
  const cli = await runCli(['approve', run.workflowId, '--tenant', tenant, '--token', await token('carol', { groups: ['finance-managers'] }), '--comment', 'ok']);
  expect(cli.stderr).toBe('');
  expect(cli).toMatchObject({ code: 0, stdout: 'approved by carol\n' });
  await run.result();
  expect((await client.listPendingApprovals()).map((p) => p.workflowId)).not.toContain(run.workflowId);
  const again = await runCli(['approve', run.workflowId, '--tenant', tenant, '--token', await token('carol', { groups: ['finance-managers'] })]);
  expect(again.code).toBe(1);
});

test('reject through the typed client routes to on_reject', async () => {
  const run = await startWaiting('finance-approval');
  expect(await run.reject({ token: await token('carol', { groups: ['finance-managers'] }), comment: 'no receipt' })).toEqual({
    accepted: true,
    approver: 'carol',
    decision: 'reject',
  });
  expect(await run.result()).toEqual({ rejected: { decision: 'rejected', approvers: [], rejected_by: 'carol' } });
});

test('2-of-3 needs two distinct approvers: a replayed token or a second one of the same approver does not count', async () => {
  const run = await startWaiting('two-of-three');
  const alice = await token('alice');
  expect(await run.approve({ token: alice })).toMatchObject({ accepted: true, approver: 'alice' });
  expect(await run.approve({ token: alice })).toEqual({ accepted: false, code: 'APPROVER_REFUSED', reason: 'approver token already used: each decision needs a fresh token' });
  expect(await run.approve({ token: await token('alice') })).toEqual({ accepted: false, code: 'APPROVER_REFUSED', reason: 'duplicate decision by the same approver' });
  expect(await stillWaiting(run)).toBe(true);
  expect(await run.approve({ token: await token('bob') })).toMatchObject({ accepted: true, approver: 'bob' });
  expect(await run.result()).toEqual({ decision: 'approved', approvers: ['alice', 'bob'] });
});

test('a timeout with on_timeout: reject ends at on_reject', async () => {
  const run = await client.start({ workflow: 'timed-approvals', input: { mode: 'expire' } });
  expect(await run.result()).toEqual({ expired: true });
});

test('a timeout with on_timeout: escalate hands the decision to escalate_to, who approves', async () => {
  const run = await startWaiting('timed-approvals', { mode: 'escalate' });
  // Before escalation bob is not an approver.
  expect(await run.approve({ token: await token('bob') })).toEqual({ accepted: false, code: 'APPROVER_REFUSED', reason: 'not among the approvers' });
  await waitForHistoryEvent(run, (e) => Boolean(e.timerFiredEventAttributes));
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await run.approve({ token: await token('bob') })).toMatchObject({ accepted: true, approver: 'bob' });
  expect(await run.result()).toEqual({ approved_by: ['bob'] });
});

describe('from the attacker side: every bad decision is refused, recorded, and the run keeps waiting', () => {
  let run: RunHandle;
  beforeAll(async () => {
    run = await startWaiting('finance-approval');
  });

  test.each([
    ['no token at all', async () => ({ decision: 'approve' }), 'no approver token'],
    ['a token signed by a key the IdP never had', async () => ({ decision: 'approve', token: await forgedToken() }), 'approver token refused:'],
    ['an unsigned token (alg: none)', async () => ({ decision: 'approve', token: unsignedToken() }), 'approver token refused: algorithm_not_allowed'],
    ['a valid token of a user who is not an approver', async () => ({ decision: 'approve', token: await token('bob') }), 'not among the approvers'],
    ["an approver's token from another tenant", async () => ({ decision: 'approve', token: await token('carol', { tenant: 'other-tenant', groups: ['finance-managers'] }) }), 'approver token refused: tenant_mismatch'],
    ['a decision that is neither approve nor reject', async () => ({ decision: 'maybe', token: await token('carol', { groups: ['finance-managers'] }) }), 'decision must be "approve" or "reject"'],
  ])('%s', async (_case, decision, reason) => {
    const before = (await client.listAuditEvents({ workflowId: run.workflowId })).length;
    await temporalCli(['workflow', 'signal', '--namespace', tenant, '--workflow-id', run.workflowId, '--name', 'approval', '--input', JSON.stringify(await decision())]);
    let events = await client.listAuditEvents({ workflowId: run.workflowId });
    const deadline = Date.now() + 15_000;
    while (events.length === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      events = await client.listAuditEvents({ workflowId: run.workflowId });
    }
    expect(events.at(-1)).toMatchObject({ type: 'approval.refused', step: 'ask', payload: { reason: expect.stringContaining(reason) } });
    expect(await stillWaiting(run)).toBe(true);
  });

  test('the update refuses a decision for a node that is not waiting, and audits it', async () => {
    expect(await run.approve({ token: await token('carol', { groups: ['finance-managers'] }), node: 'done' })).toEqual({
      accepted: false,
      code: 'NOT_PENDING',
      reason: 'no approval is pending at node done',
    });
    let events = await client.listAuditEvents({ workflowId: run.workflowId });
    const deadline = Date.now() + 15_000;
    while (events.at(-1)?.step !== 'done' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      events = await client.listAuditEvents({ workflowId: run.workflowId });
    }
    expect(events.at(-1)).toMatchObject({ type: 'approval.refused', step: 'done', payload: { reason: 'no approval is pending at node done' } });
    expect(await stillWaiting(run)).toBe(true);
  });

  test('audit entries never hold the token', async () => {
    const text = JSON.stringify(await client.listAuditEvents({ workflowId: run.workflowId }));
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    await run.cancel();
  });
});

async function forgedToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const issuer = testConfig().identity!.issuer;
  return new SignJWT({ groups: ['finance-managers'], tenant, scope: 'expenses:read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
    .setIssuer(issuer)
    .setAudience('steward')
    .setSubject('carol')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(privateKey);
}

function unsignedToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'carol', groups: ['finance-managers'], tenant, iss: testConfig().identity!.issuer, aud: 'steward', exp: now + 300 })}.`;
}

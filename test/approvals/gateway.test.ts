// The HTTP approvals gateway, from a caller's side and an attacker's: bearer auth, tenant checks, and clear
// status codes for every refusal.
import type { FastifyInstance } from 'fastify';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient, type RunHandle } from '../../src/client';
import { createApprovalsGateway } from '../../src/servers/approvals-gateway';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, stsUrl, testConfig, waitForHistoryEvent, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let other: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let gateway: FastifyInstance;
let base: string;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('gateway'), createTestTenant('gateway-other')]);
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
  await client.register(`
id: gated
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { groups: [finance-managers] }, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
  gateway = createApprovalsGateway(testConfig());
  base = await gateway.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await gateway?.close();
  await client?.close();
  await worker?.stop();
});

const token = async (user: string, forTenant: string, groups?: string[]) =>
  (await mintDevToken(stsUrl(), { user, tenant: forTenant, ...(groups ? { groups } : {}) })).accessToken;

async function post(path: string, body: unknown, bearer?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitingRun(): Promise<RunHandle> {
  const run = await client.start({ workflow: 'gated', input: {}, userToken: await token('alice', tenant) });
  await waitForHistoryEvent(run, (e) => Boolean(e.timerStartedEventAttributes));
  return run;
}

test('an approver approves over HTTP; a second decision after the run ended gets 409', async () => {
  const run = await waitingRun();
  const carol = await token('carol', tenant, ['finance-managers']);
  const path = `/v1/tenants/${tenant}/runs/${run.workflowId}/approvals`;
  expect(await post(path, { decision: 'approve', comment: 'ok' }, carol)).toEqual({ status: 200, body: { accepted: true, approver: 'carol', decision: 'approve' } });
  expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
  expect((await post(path, { decision: 'approve' }, carol)).status).toBe(409);
});

describe('refusals', () => {
  let run: RunHandle;
  let path: string;
  beforeAll(async () => {
    run = await waitingRun();
    path = `/v1/tenants/${tenant}/runs/${run.workflowId}/approvals`;
  });
  afterAll(() => run.cancel());

  test('no bearer token → 401; a token the IdP never signed → 401', async () => {
    expect((await post(path, { decision: 'approve' })).status).toBe(401);
    expect((await post(path, { decision: 'approve' }, 'not-a-jwt')).status).toBe(401);
  });

  test("another tenant's token on this tenant's run → 403", async () => {
    expect(await post(path, { decision: 'approve' }, await token('carol', other, ['finance-managers']))).toMatchObject({ status: 403, body: { error: 'token refused: tenant_mismatch' } });
  });

  test("this tenant's run asked for under another tenant → 404, never the run", async () => {
    const response = await post(`/v1/tenants/${other}/runs/${run.workflowId}/approvals`, { decision: 'approve' }, await token('carol', other, ['finance-managers']));
    expect(response).toEqual({ status: 404, body: { error: 'run not found' } });
  });

  test('a user who is not an approver → 403 with the reason; a bad body → 400 naming the field', async () => {
    expect(await post(path, { decision: 'approve' }, await token('bob', tenant))).toEqual({ status: 403, body: { accepted: false, code: 'APPROVER_REFUSED', reason: 'not among the approvers' } });
    expect(await post(path, { decision: 'maybe' }, await token('carol', tenant, ['finance-managers']))).toMatchObject({ status: 400, body: { error: expect.stringContaining('decision') } });
  });

  test('a node that is not waiting → 409', async () => {
    const response = await post(path, { decision: 'approve', node: 'done' }, await token('carol', tenant, ['finance-managers']));
    expect(response).toMatchObject({ status: 409, body: { accepted: false, code: 'NOT_PENDING' } });
  });
});

// Fault injection on the real stack: with several runs in flight, each of the activities' database, Vault, the STS
// and the Temporal server becomes unreachable for 20 s, then comes back. Every run completes, the Worker never
// stops, each irreversible call is made under one idempotency key (repeats only with that key), and every call that
// got through is in the audit trail. The outages are cut proxies in front of the suite's shared stack, so the other
// test files using it see nothing.
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { mintDevToken, SECRET_AGENT_SECRET } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import { StewardClient, type RunHandle } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { startProxiedWorker, type ProxiedWorker } from '../support/proxied-worker';
import { createTestTenant, stsUrl, writeVaultSecret } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';

const OUTAGE_MS = 20_000;
const RUNS_PER_OUTAGE = 3;
let tenant: TenantId;
let proxied: ProxiedWorker;
let client: StewardClient;
let target: HttpTarget;
let api: ExpensesApi;

beforeAll(async () => {
  tenant = await createTestTenant('fault-injection');
  await writeVaultSecret(`tenants/${tenant}/tools`, { api_token: 'fault-injection-token' });
  await writeVaultSecret(`tenants/${tenant}/agents`, { expense_agent: SECRET_AGENT_SECRET });
  [proxied, client, target, api] = await Promise.all([
    startProxiedWorker(tenant),
    StewardClient.connect({ tenant }),
    startHttpTarget(),
    startExpensesApi({ port: 0, issuer: stsUrl() }),
  ]);
  // A secret-resolving step, then an irreversible call (audited before and after it is sent); each step's own retry
  // budget is small, as an outage must not spend it.
  await client.register(`
id: charge
version: 1
input: { type: object, properties: { target: { type: string } } }
secrets: { api: "vault:~/tools#api_token" }
start: lookup
nodes:
  lookup:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/customers", headers: { Authorization: "Bearer {{ secrets.api }}" } }
    retry: { max_attempts: 2 }
    next: charge
  charge:
    type: tool
    tool: http
    irreversible: true
    approval: waived
    reason: test charges are pre-approved
    request: { method: POST, url: "{{ input.target }}/charges", body: { amount: 12 } }
    retry: { max_attempts: 2 }
    next: done
  done: { type: end, output: "{'charged': nodes.charge.output.ok}" }
`);
  // A delegated step: the user's token is exchanged at the STS for one scoped to the expenses API.
  await client.register(`
id: delegated-charge
version: 1
oauth:
  token_endpoint: ${proxied.through(proxied.proxies.sts, stsUrl())}/token
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
    next: done
  done: { type: end, output: "{'charged': true}" }
`);
});

afterAll(async () => {
  await client?.close();
  await proxied?.stop();
  await target?.close();
  await api?.stop();
});

async function startRuns(workflow: 'charge' | 'delegated-charge'): Promise<RunHandle[]> {
  return Promise.all(
    Array.from({ length: RUNS_PER_OUTAGE }, async () =>
      workflow === 'charge'
        ? client.start({ workflow, input: { target: target.url } })
        : client.start({ workflow, input: {}, userToken: (await mintDevToken(stsUrl(), { user: 'alice', tenant })).accessToken }),
    ),
  );
}

/**
 * Cuts `proxy` before the runs start (the client reaches the stack directly), or once each has made its first call
 * (so the outage hits the steps, not the run's start), restores it after the outage, and waits for every run.
 */
async function throughOutage(proxy: TcpProxy, workflow: 'charge' | 'delegated-charge', cut: 'before-start' | 'after-first-call' = 'before-start'): Promise<RunHandle[]> {
  const lookups = target.requests.filter((request) => request.path === '/customers').length;
  if (cut === 'before-start') await proxy.cut();
  const runs = await startRuns(workflow);
  if (cut === 'after-first-call') {
    while (target.requests.filter((request) => request.path === '/customers').length < lookups + runs.length) await new Promise((resolve) => setTimeout(resolve, 50));
    await proxy.cut();
  }
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  await proxy.restore();
  const outputs = await Promise.all(runs.map((run) => run.result()));
  expect(outputs).toEqual(runs.map(() => ({ charged: true })));
  expect(proxied.worker.getState()).toBe('RUNNING');
  expect(proxied.failure()).toBeUndefined();
  return runs;
}

/** Each run's irreversible charge went out under one key (repeats, if any, with that key) and is audited as answered. */
async function expectChargedOnceAndAudited(runs: RunHandle[]): Promise<void> {
  for (const run of runs) {
    const key = `${run.workflowId}:charge:1`;
    const sent = target.requests.filter((request) => request.path === '/charges' && String(request.headers['idempotency-key']).startsWith(run.workflowId));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(new Set(sent.map((request) => request.headers['idempotency-key']))).toEqual(new Set([key]));
    const audited = (await listAuditEvents(proxied.pool, tenant, { workflowId: run.workflowId })).filter((event) => event.step === 'charge');
    expect(audited.filter((event) => event.type === 'tool.call.sent').length).toBeGreaterThanOrEqual(1);
    expect(audited.filter((event) => event.type === 'tool.call' && (event.payload as { outcome?: string }).outcome === 'ok')).toHaveLength(1);
  }
}

test('runs in flight through a 20 s outage of the database complete, each charge made under one key and audited', async () => {
  await expectChargedOnceAndAudited(await throughOutage(proxied.proxies.database, 'charge', 'after-first-call'));
});

test('runs in flight through a 20 s outage of Vault complete, each charge made under one key and audited', async () => {
  await expectChargedOnceAndAudited(await throughOutage(proxied.proxies.vault, 'charge'));
});

test('delegated runs in flight through a 20 s outage of the STS complete, each expense submitted once', async () => {
  const before = api.accepted.length;
  const runs = await throughOutage(proxied.proxies.sts, 'delegated-charge');
  expect(api.accepted.length - before).toBe(runs.length);
});

test('runs in flight through a 20 s outage of the Temporal server complete, each charge made under one key and audited', async () => {
  await expectChargedOnceAndAudited(await throughOutage(proxied.proxies.temporal, 'charge'));
});

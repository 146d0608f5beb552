// The attack on tool URLs, replayed on the real stack: a tenant's run tries to read Temporal's UI API (any
// namespace's runs), Vault's health, the deployment's federation server, loopback services it was not granted, and
// internal addresses reached through a host name or a redirect. Each is refused at connect time, fails the step with
// EGRESS_DENIED and is audited.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, startTenantWorker, testConfig, type RunningWorker } from '../support/stack';

interface Tenant {
  id: TenantId;
  worker: RunningWorker;
  client: StewardClient;
}

let target: HttpTarget;
let redirector: Server;
let redirectorUrl: string;
let closed: Tenant;
let loopback: Tenant;
let narrow: Tenant;

async function startTenant(name: string, egressAllow: string[]): Promise<Tenant> {
  const id = await createTestTenant(name, testConfig(), { egressAllow });
  const [worker, client] = await Promise.all([startTenantWorker(id), StewardClient.connect({ tenant: id })]);
  return { id, worker, client };
}

beforeAll(async () => {
  target = await startHttpTarget();
  // Answers every request with a redirect to the address in its `to` query parameter.
  redirector = createServer((req, res) => {
    res.writeHead(302, { location: new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/' });
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  [closed, loopback, narrow] = await Promise.all([
    startTenant('egress-closed', []),
    startTenant('egress-loopback', ['127.0.0.0/8']),
    startTenant('egress-narrow', [redirectorUrl.replace('http://', '')]),
  ]);
});

afterAll(async () => {
  for (const tenant of [closed, loopback, narrow]) {
    await tenant?.client.close();
    await tenant?.worker.stop();
  }
  await target?.close();
  await new Promise((resolve) => redirector?.close(resolve));
});

const FETCH = `
id: fetch-url
version: 1
input: { type: object, required: [url], properties: { url: { type: string } } }
start: call
nodes:
  call: { type: tool, tool: http, request: { method: GET, url: "{{ input.url }}" }, retry: { max_attempts: 1 }, next: done }
  done: { type: end, output: "nodes.call.output" }
`;

async function fetchAs(tenant: Tenant, url: string): Promise<{ output?: unknown; failure?: { type?: string; message: string }; workflowId: string }> {
  const { definition } = await tenant.client.register(FETCH);
  const run = await tenant.client.start({ workflow: definition.id, version: definition.version, input: { url } });
  try {
    return { output: await run.result(), workflowId: run.workflowId };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    let cause = error.cause as { type?: string; message: string; cause?: unknown } | undefined;
    while (cause?.cause && cause.type !== 'EGRESS_DENIED') cause = cause.cause as typeof cause;
    return { failure: { type: cause?.type, message: cause?.message ?? error.message }, workflowId: run.workflowId };
  }
}

async function egressAudit(tenant: Tenant, workflowId: string) {
  return (await tenant.client.listAuditEvents({ workflowId })).filter((event) => event.type === 'security.egress_denied');
}

test("a tenant's run cannot read Temporal's UI API, Vault or the local STS, even with all of loopback allowed", async () => {
  const config = testConfig();
  const ui = new URL(config.uiUrl);
  const vault = new URL(config.secretsEnv.VAULT_ADDR!);
  const sts = new URL(config.identity!.issuer);
  for (const url of [`http://127.0.0.1:${ui.port}/api/v1/namespaces/${closed.id}/workflows`, `http://127.0.0.1:${vault.port}/v1/sys/health`, `http://127.0.0.1:${sts.port}/jwks`]) {
    const { output, failure, workflowId } = await fetchAs(loopback, url);
    expect(output).toBeUndefined();
    expect(failure).toEqual({ type: 'EGRESS_DENIED', message: expect.stringContaining('a service of the Steward deployment itself') });
    expect(await egressAudit(loopback, workflowId)).toEqual([
      expect.objectContaining({ step: 'call', payload: expect.objectContaining({ host: '127.0.0.1', address: '127.0.0.1', hop: 0 }) }),
    ]);
  }
});

test("a tenant's run cannot call the deployment's own federation server, by address or by name, even with all of loopback allowed", async () => {
  const port = testConfig().env.STEWARD_FEDERATION_PORT;
  for (const url of [`https://127.0.0.1:${port}/.well-known/agent-card.json`, `https://localhost:${port}/a2a/${closed.id}/any`]) {
    const { output, failure, workflowId } = await fetchAs(loopback, url);
    expect(output).toBeUndefined();
    expect(failure).toEqual({ type: 'EGRESS_DENIED', message: expect.stringContaining('a service of the Steward deployment itself') });
    expect(await egressAudit(loopback, workflowId)).toEqual([expect.objectContaining({ step: 'call', payload: expect.objectContaining({ hop: 0 }) })]);
  }
});

test("a tenant's run cannot read the trace store (Jaeger's query API holds every tenant's traces) or write spans to it", async () => {
  const env = testConfig().env;
  for (const url of [`http://127.0.0.1:${env.STEWARD_JAEGER_UI_PORT}/api/services`, `http://localhost:${env.STEWARD_OTLP_PORT}/v1/traces`]) {
    const { output, failure } = await fetchAs(loopback, url);
    expect(output).toBeUndefined();
    expect(failure).toEqual({ type: 'EGRESS_DENIED', message: expect.stringContaining('a service of the Steward deployment itself') });
  }
});

test('loopback is refused to a tenant that did not allow it, by address and by a name that resolves to it', async () => {
  const port = new URL(target.url).port;
  for (const url of [target.url, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
    const { failure, workflowId } = await fetchAs(closed, url);
    expect(failure).toEqual({ type: 'EGRESS_DENIED', message: expect.stringContaining("loopback address not in the tenant's egress.allow") });
    expect(await egressAudit(closed, workflowId)).toHaveLength(1);
  }
  expect(target.requests).toEqual([]);
});

test('a redirect from an allowed host to one not allowed is refused at the hop', async () => {
  const { failure, workflowId } = await fetchAs(narrow, `${redirectorUrl}/go?to=${encodeURIComponent(`${target.url}/secret`)}`);
  expect(failure).toEqual({ type: 'EGRESS_DENIED', message: expect.stringContaining('loopback') });
  expect(await egressAudit(narrow, workflowId)).toEqual([expect.objectContaining({ payload: expect.objectContaining({ hop: 1 }) })]);
  expect(target.requests).toEqual([]);
});

test('what a tenant allows still works, redirects included', async () => {
  const { output } = await fetchAs(loopback, `${redirectorUrl}/go?to=${encodeURIComponent(`${target.url}/landed`)}`);
  expect(output).toEqual(expect.objectContaining({ ok: true, path: '/landed' }));
});

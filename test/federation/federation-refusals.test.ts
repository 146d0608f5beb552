// Attacker-side calls to a tenant's federated agent: each is refused before anything runs, and recorded in the
// serving tenant's audit trail with the reason, the token's id (never the token) and the certificate's fingerprint.
import { isLegacyAgentCard, parseLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { createCertificateAuthority } from '../../src/federation/certificate-authority';
import { issueInboundToken, revokeInboundToken, listInboundTokens } from '../../src/federation/federation-policy';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, type RunningWorker } from '../support/stack';
import {
  CALLER_AGENT,
  callAgent,
  clientCertificate,
  createOrganisation,
  federate,
  federationAudit,
  fetchAgentCard,
  operatorPool,
  sendParams,
  tokenSecret,
  startFederationServer,
  type FederationEndpoint,
  type Organisation,
} from './federation-fixture';

let orgA: Organisation;
let orgB: Organisation;
let tenantB: TenantId;
let tenantC: TenantId;
let endpoint: FederationEndpoint;
let admin: Pool;
let worker: RunningWorker;
let clientB: StewardClient;
let tokenB: string;
let tokenC: string;

const quote = `
id: quote
version: 1
start: hold
nodes:
  hold: { type: wait, duration: 1h, next: done }
  done: { type: end, output: "'quoted'" }
`;

beforeAll(async () => {
  [orgA, orgB, tenantB, tenantC] = await Promise.all([createOrganisation('org-a'), createOrganisation('org-b'), createTestTenant('fed-refuse-b'), createTestTenant('fed-refuse-c')]);
  admin = operatorPool();
  endpoint = await startFederationServer(orgB);
  [worker, clientB] = await Promise.all([startTenantWorker(tenantB), StewardClient.connect({ tenant: tenantB })]);
  await clientB.register(quote);
  tokenB = await federate(admin, tenantB, 'quote', orgA);
  tokenC = await federate(admin, tenantC, 'quote', orgA);
});
afterAll(async () => {
  await Promise.all([clientB?.close(), worker?.stop(), endpoint?.close(), admin?.end()]);
});

const agentUrl = (tenant: TenantId) => `${endpoint.url}/a2a/${tenant}/quote`;
let sequence = 0;
const send = (options: { tenant?: TenantId; certificate?: Awaited<ReturnType<typeof clientCertificate>>; token?: string; method?: string; params?: unknown }) =>
  callAgent(agentUrl(options.tenant ?? tenantB), {
    serverCa: endpoint.serverCa,
    ...(options.certificate ? { certificate: options.certificate } : {}),
    ...(options.token ? { token: options.token } : {}),
    method: options.method ?? 'message/send',
    params: options.params ?? sendParams(`m-${++sequence}`, {}),
  });

/** The refusal the trail holds for the last refused call of `tenant`. */
async function lastRefusal(tenant: TenantId) {
  return (await federationAudit(tenant)).filter((event) => event.type === 'federation.refused').at(-1);
}

test('the allowed agent, with its certificate and token, starts a run and reads and cancels its task', async () => {
  const certificate = await clientCertificate(orgA);
  const sent = await send({ certificate, token: tokenB });
  expect(sent.status).toBe(200);
  const task = sent.body.result as { id: string; status: { state: string } };
  expect(task.id).toMatch(/^a2a\/buyer-bot\/quote\//);
  const read = await send({ certificate, token: tokenB, method: 'tasks/get', params: { id: task.id } });
  expect(read.body.result).toMatchObject({ id: task.id, status: { state: 'working' } });
  const cancelled = await send({ certificate, token: tokenB, method: 'tasks/cancel', params: { id: task.id } });
  expect(cancelled.status).toBe(200);
  const run = await clientB.getRun(task.id);
  for (let waited = 0; (await run.status()) === 'RUNNING' && waited < 10_000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await run.status()).toBe('CANCELLED');
  // A task id of another agent's, or made up, is not found: the same answer either way.
  const other = await send({ certificate, token: tokenB, method: 'tasks/get', params: { id: task.id.replace('buyer-bot', 'other-bot') } });
  expect(other.body.error?.code).toBe(-32001);
}, 60_000);

test('the agent card, for an authenticated caller, is a valid A2A 0.3 card requiring mTLS and a bearer token', async () => {
  const card = await fetchAgentCard(agentUrl(tenantB), { serverCa: endpoint.serverCa, certificate: await clientCertificate(orgA), token: tokenB });
  expect(card.status).toBe(200);
  expect(isLegacyAgentCard(card.body)).toBe(true);
  expect(parseLegacyAgentCard(card.body)).toMatchObject({ name: 'quote', description: 'quotes a price' });
  expect(card.body).toMatchObject({ url: expect.stringMatching(new RegExp(`/a2a/${tenantB}/quote$`)), security: [{ mtls: [], bearer: [] }] });
});

test('no client certificate → 401, audited', async () => {
  const answer = await send({ token: tokenB });
  expect(answer).toMatchObject({ status: 401, body: { error: { message: 'a client certificate is required' } } });
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'client_certificate_missing', method: 'message/send', status: 401 } });
});

test('a certificate from an unknown CA, naming the allowed agent → 401, audited with its fingerprint', async () => {
  const rogue = { name: 'org-a', ca: await createCertificateAuthority('org-a CA') };
  const answer = await send({ certificate: await clientCertificate(rogue), token: tokenB });
  expect(answer.status).toBe(401);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'client_certificate_untrusted', certificate_sha256: expect.stringMatching(/^[0-9A-F:]{95}$/) } });
});

test('an expired certificate from the trusted CA → 401, audited', async () => {
  const expired = await clientCertificate(orgA, CALLER_AGENT, { notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  expect((await send({ certificate: expired, token: tokenB })).status).toBe(401);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'client_certificate_expired' } });
});

test("a certificate naming another agent than the token's → 403, audited with both", async () => {
  const answer = await send({ certificate: await clientCertificate(orgA, 'other-bot'), token: tokenB });
  expect(answer.status).toBe(403);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'identity_mismatch', certificate_identity: 'other-bot', token_agent: CALLER_AGENT } });
});

test('no token → 401, audited with the certificate identity', async () => {
  expect((await send({ certificate: await clientCertificate(orgA) })).status).toBe(401);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'token_missing', certificate_identity: CALLER_AGENT } });
});

test('a revoked token is refused at once → 401, audited', async () => {
  const certificate = await clientCertificate(orgA);
  const issued = await issueInboundToken(admin, tenantB, { agent: CALLER_AGENT, scopes: ['a2a:read'], expiresAt: new Date(Date.now() + 3_600_000) });
  const read = () => send({ certificate, token: issued.plaintext, method: 'tasks/get', params: { id: 'a2a/buyer-bot/quote/none' } });
  expect((await read()).status).toBe(200);
  expect(await revokeInboundToken(admin, tenantB, issued.token.id)).toBe(true);
  expect((await read()).status).toBe(401);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'token_revoked', token_id: issued.token.id } });
  expect((await listInboundTokens(admin, tenantB)).find((token) => token.id === issued.token.id)).toMatchObject({ revoked_at: expect.any(String) });
});

test('the token and certificate of an agent not on the allowlist → 403, audited', async () => {
  const stranger = await issueInboundToken(admin, tenantB, { agent: 'stranger-bot', scopes: ['a2a:send'], expiresAt: new Date(Date.now() + 3_600_000) });
  expect((await send({ certificate: await clientCertificate(orgA, 'stranger-bot'), token: stranger.plaintext })).status).toBe(403);
  expect(await lastRefusal(tenantB)).toMatchObject({ agentId: 'stranger-bot', payload: { reason: 'agent_not_allowed' } });
});

test("a method outside the token's scopes → 403, audited", async () => {
  const readOnly = await issueInboundToken(admin, tenantB, { agent: CALLER_AGENT, scopes: ['a2a:read'], expiresAt: new Date(Date.now() + 3_600_000) });
  expect((await send({ certificate: await clientCertificate(orgA), token: readOnly.plaintext })).status).toBe(403);
  expect(await lastRefusal(tenantB)).toMatchObject({ payload: { reason: 'scope_denied', method: 'message/send', token_id: readOnly.token.id } });
});

test("B's token against tenant C's agent → 401 in C's trail; C's own token works there", async () => {
  const certificate = await clientCertificate(orgA);
  expect((await send({ tenant: tenantC, certificate, token: tokenB })).status).toBe(401);
  expect(await lastRefusal(tenantC)).toMatchObject({ payload: { reason: 'token_invalid', served_agent: 'quote' } });
  expect((await send({ tenant: tenantC, certificate, token: tokenC, method: 'tasks/get', params: { id: 'a2a/buyer-bot/quote/none' } })).status).toBe(200);
});

test('no refusal entry holds a token', async () => {
  const trail = JSON.stringify([...(await federationAudit(tenantB)), ...(await federationAudit(tenantC))]);
  for (const token of [tokenB, tokenC]) expect(trail).not.toContain(tokenSecret(token));
});

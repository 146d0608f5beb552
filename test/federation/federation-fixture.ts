// Two organisations on loopback for federation suites: each with its own CA; org B's tenant serves an agent on a
// federation server whose certificate B's CA issued, trusts org A's CA and allows A's agent. Raw JSON-RPC over
// mutual TLS for attacker-side calls; the policy is changed through the same module the CLI uses.
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { createPool } from '../../src/db/pool';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/federation/certificate-authority';
import { issueInboundToken, setAgentAllowed, setDefinitionExposed, setTrustedCa } from '../../src/federation/federation-policy';
import { createLogger } from '../../src/log/logger';
import { createFederationServer } from '../../src/servers/federation/federation-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { testConfig } from '../support/stack';

export const CALLER_AGENT = 'buyer-bot';

export interface Organisation {
  name: string;
  ca: CertificateAuthority;
}

export async function createOrganisation(name: string): Promise<Organisation> {
  return { name, ca: await createCertificateAuthority(`${name} CA`) };
}

export interface FederationEndpoint {
  server: FastifyInstance;
  url: string;
  /** The CA callers check the server's certificate against. */
  serverCa: string;
  close(): Promise<void>;
}

/** A federation server whose certificate `org`'s CA issued for 127.0.0.1. */
export async function startFederationServer(org: Organisation, logs?: string[]): Promise<FederationEndpoint> {
  const tls = await issueServerCertificate(org.ca, ['127.0.0.1', 'localhost']);
  const destination = { write: (line: string) => void logs?.push(line) };
  const server = createFederationServer({ config: testConfig(), tls: { cert: tls.certPem, key: tls.keyPem }, publicUrl: 'https://127.0.0.1', logger: createLogger('federation-test', 'info', destination) });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `https://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return { server, url, serverCa: org.ca.certPem, close: () => server.close() };
}

/** The operator's connection, as the CLI uses to change a tenant's federation policy. */
export function operatorPool(): Pool {
  return createPool(testConfig().databaseUrl, { max: 2 });
}

/** Exposes `definition` of `tenant`, trusts `caller`'s CA, allows CALLER_AGENT and issues it a token. */
export async function federate(admin: Pool, tenant: TenantId, definition: string, caller: Organisation, scopes = ['a2a:send', 'a2a:read', 'a2a:cancel']): Promise<string> {
  await setDefinitionExposed(admin, tenant, definition, { description: 'quotes a price' });
  await setTrustedCa(admin, tenant, caller.name, caller.ca.certPem);
  await setAgentAllowed(admin, tenant, CALLER_AGENT, true);
  return (await issueInboundToken(admin, tenant, { agent: CALLER_AGENT, scopes, expiresAt: new Date(Date.now() + 3_600_000) })).plaintext;
}

export function clientCertificate(org: Organisation, agent = CALLER_AGENT, validity?: { notBefore?: Date; notAfter?: Date }): Promise<IssuedCertificate> {
  return issueClientCertificate(org.ca, org.name, agent, validity);
}

/** GET over TLS with a client certificate and a token: the agent card. */
export function fetchAgentCard(url: string, options: { serverCa: string; certificate: IssuedCertificate; token: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}/.well-known/agent-card.json`,
      { method: 'GET', ca: options.serverCa, cert: options.certificate.certPem, key: options.certificate.keyPem, headers: { authorization: `Bearer ${options.token}` }, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

export interface RpcAnswer {
  status: number;
  body: { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

/** One JSON-RPC call over TLS, presenting `certificate` (or none) and `token` (or none). */
export function callAgent(
  url: string,
  options: { serverCa: string; certificate?: IssuedCertificate; token?: string; method: string; params: unknown },
): Promise<RpcAnswer> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: options.method, params: options.params });
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        ca: options.serverCa,
        ...(options.certificate ? { cert: options.certificate.certPem, key: options.certificate.keyPem } : {}),
        headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        agent: false,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as RpcAnswer['body'] }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A token's random part (after `stfed_<id>_`), which may itself hold `_`. */
export const tokenSecret = (token: string) => token.slice('stfed_'.length + 17);

export const sendParams = (messageId: string, data: unknown) => ({
  message: { kind: 'message', messageId, role: 'user', parts: [{ kind: 'data', data }] },
});

/** The tenant's federation entries in its audit trail, newest last. */
export async function federationAudit(tenant: TenantId) {
  const client = await StewardClient.connect({ tenant });
  try {
    return (await client.listAuditEvents({ limit: 500 })).filter((event) => event.type.startsWith('federation.'));
  } finally {
    await client.close();
  }
}

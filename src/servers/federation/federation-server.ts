// The federation endpoint: a tenant's exposed definitions served as A2A agents (JSON-RPC, A2A 0.3) over mutual TLS.
//   GET  /a2a/:tenant/:agent/.well-known/agent-card.json   the agent card
//   POST /a2a/:tenant/:agent                                message/send · tasks/get · tasks/cancel
// Every request is authorized against the tenant's federation policy, read fresh (so a revocation is effective at
// once), and recorded in the tenant's audit trail, refused or served. Tokens never reach the trail or the log:
// a token is named by its id, a certificate by its SHA-256 fingerprint.
import type { TLSSocket } from 'node:tls';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { ServerCallContext } from '@a2a-js/sdk/server';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../../audit/audit-log';
import { tenantClients } from '../tenant-clients';
import type { RuntimeConfig } from '../../config/runtime';
import { FEDERATION_METHODS, type FederationMethod, type FederationSettings } from '../../federation/federation-settings';
import { loadFederationSettings } from '../../federation/federation-policy';
import { authorizeInboundCall, REFUSAL_STATUS, type CallerFacts, type RefusalReason } from '../../federation/inbound-authorization';
import { createLogger, type Logger } from '../../log/logger';
import { StewardRuntime } from '../../runtime/steward-runtime';
import { TenantId } from '../../tenancy/tenant-id';
import { findTenant } from '../../tenancy/tenant-registry';
import { agentCardOf } from './agent-card';
import { createRunTaskHandler } from './run-task-handler';

export interface FederationServerOptions {
  config: RuntimeConfig;
  /** The endpoint's own certificate and key (PEM); callers check it against the CA that issued it. */
  tls: { cert: string; key: string };
  /** Where callers reach this server, for agent cards (`https://host:port`). */
  publicUrl: string;
  logger?: Logger;
}

const BODY_LIMIT = 256 * 1024;

export function createFederationServer(options: FederationServerOptions): FastifyInstance {
  const { config } = options;
  const logger = options.logger ?? createLogger('steward-federation-server', config.env.STEWARD_LOG_LEVEL);
  // Client certificates are asked for but judged per tenant (each trusts its own partners' CAs), after the handshake
  // has proved the caller holds the certificate's key; so a refused certificate is answered and audited, not dropped.
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    https: { cert: options.tls.cert, key: options.tls.key, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
  });
  const runtime = StewardRuntime.create(config, { poolSize: 4 });
  const pool = runtime.pool;
  const clientFor = tenantClients(runtime);
  app.addHook('onReady', () => runtime.ready());
  app.addHook('onClose', () => runtime.close());

  const audit = (tenant: TenantId, type: string, agent: string, facts: CallerFacts, extra: Record<string, unknown>, workflowId?: string) =>
    recordAuditEvent(pool, tenant, {
      type,
      ...(workflowId ? { workflowId } : {}),
      ...(facts.tokenAgent ?? facts.certificateIdentity ? { agentId: facts.tokenAgent ?? facts.certificateIdentity } : {}),
      payload: {
        served_agent: agent,
        ...(facts.certificateIdentity ? { certificate_identity: facts.certificateIdentity } : {}),
        ...(facts.certificateFingerprint ? { certificate_sha256: facts.certificateFingerprint } : {}),
        ...(facts.tokenId ? { token_id: facts.tokenId } : {}),
        ...(facts.tokenAgent ? { token_agent: facts.tokenAgent } : {}),
        ...extra,
      },
    });

  interface Authorized {
    tenant: TenantId;
    settings: FederationSettings;
    caller: string;
    facts: CallerFacts;
  }

  /** The caller, when the tenant's policy admits it; otherwise the refusal is sent, audited and logged. */
  const admit = async (request: FastifyRequest<{ Params: { tenant: string; agent: string } }>, reply: FastifyReply, method: string): Promise<Authorized | undefined> => {
    const { agent } = request.params;
    const tenant = TenantId.safeParse(request.params.tenant);
    // A tenant that does not exist has no trail; the answer is the one for an agent not served.
    if (!tenant.success || !(await findTenant(pool, tenant.data))) {
      await reply.code(404).send(rpcError(request.body, -32001, 'agent not found'));
      return undefined;
    }
    const settings = await loadFederationSettings(pool, tenant.data);
    const peer = (request.raw.socket as TLSSocket).getPeerCertificate?.(false);
    const decision = authorizeInboundCall(settings, {
      agent,
      method: (FEDERATION_METHODS as readonly string[]).includes(method) ? (method as FederationMethod) : undefined,
      peerCertificate: peer && 'raw' in peer ? peer.raw : undefined,
      bearer: /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1],
      now: new Date(),
    });
    if (decision.ok) return { tenant: tenant.data, settings: settings!, caller: decision.caller, facts: decision.facts };
    await refuse(request, reply, tenant.data, agent, method, decision.reason, decision.facts);
    return undefined;
  };

  const refuse = async (request: FastifyRequest, reply: FastifyReply, tenant: TenantId, agent: string, method: string, reason: RefusalReason, facts: CallerFacts) => {
    logger.warn({ tenant, agent, method, reason, token_id: facts.tokenId, certificate_sha256: facts.certificateFingerprint }, 'federation call refused');
    await audit(tenant, 'federation.refused', agent, facts, { method, reason, status: REFUSAL_STATUS[reason] });
    await reply.code(REFUSAL_STATUS[reason]).send(rpcError(request.body, -32001, reasonText(reason)));
  };

  app.get('/health', async () => ({ ok: true }));

  app.get<{ Params: { tenant: string; agent: string } }>('/a2a/:tenant/:agent/.well-known/agent-card.json', async (request, reply) => {
    const admitted = await admit(request, reply, 'agent-card');
    if (!admitted) return reply;
    const exposure = admitted.settings.agents[request.params.agent]!;
    const definition = await (await clientFor(admitted.tenant)).getDefinition(request.params.agent, exposure.version);
    await audit(admitted.tenant, 'federation.call', request.params.agent, admitted.facts, { method: 'agent-card', outcome: 'served' });
    return reply.send(agentCardOf({ url: `${options.publicUrl}/a2a/${admitted.tenant}/${request.params.agent}`, definition: definition.definition, exposure, settings: admitted.settings }));
  });

  app.post<{ Params: { tenant: string; agent: string } }>('/a2a/:tenant/:agent', async (request, reply) => {
    const body = request.body as { method?: unknown } | undefined;
    const method = typeof body?.method === 'string' ? body.method : '';
    const admitted = await admit(request, reply, method);
    if (!admitted) return reply;
    const { tenant, caller, facts } = admitted;
    const agent = request.params.agent;
    if (!(FEDERATION_METHODS as readonly string[]).includes(method)) {
      await audit(tenant, 'federation.call', agent, facts, { method, outcome: 'method_not_found' });
      return reply.code(200).send(rpcError(body, -32601, `method not found: ${method.slice(0, 64)}`));
    }
    const exposure = admitted.settings.agents[agent]!;
    const handler = createRunTaskHandler({
      client: await clientFor(tenant),
      definition: agent,
      ...(exposure.version !== undefined ? { version: exposure.version } : {}),
      caller,
      onStarted: async (workflowId) => {
        await audit(tenant, 'federation.run_started', agent, facts, { method }, workflowId);
      },
    });
    const answer = await new LegacyJsonRpcTransportHandler(handler).handle(body as Record<string, unknown>, new ServerCallContext({ tenant }));
    if (Symbol.asyncIterator in answer) return reply.code(200).send(rpcError(body, -32004, 'streaming is not offered'));
    const result = answer.result as { id?: unknown } | undefined;
    await audit(tenant, 'federation.call', agent, facts, {
      method,
      outcome: answer.error ? 'error' : 'served',
      ...(answer.error ? { error_code: answer.error.code } : {}),
    }, typeof result?.id === 'string' ? result.id : undefined);
    return reply.code(200).send(answer);
  });

  return app;
}

function rpcError(body: unknown, code: number, message: string) {
  const id = (body as { id?: unknown } | undefined)?.id;
  return { jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error: { code, message } };
}

const REASON_TEXT: Readonly<Record<RefusalReason, string>> = {
  agent_not_found: 'agent not found',
  client_certificate_missing: 'a client certificate is required',
  client_certificate_untrusted: 'client certificate refused: not issued by a trusted CA',
  client_certificate_expired: 'client certificate refused: expired or not yet valid',
  client_certificate_without_identity: 'client certificate refused: it names no agent',
  token_missing: 'a bearer token is required',
  token_invalid: 'token refused: invalid',
  token_revoked: 'token refused: revoked',
  token_expired: 'token refused: expired',
  identity_mismatch: "the client certificate names another agent than the token's",
  agent_not_allowed: 'caller agent is not allowed',
  scope_denied: 'token lacks the scope this method needs',
};

function reasonText(reason: RefusalReason): string {
  return REASON_TEXT[reason];
}

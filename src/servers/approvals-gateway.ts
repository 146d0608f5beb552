// The approvals gateway: internal tools that speak HTTP approve or reject a run with the approver's own token.
// POST /v1/tenants/:tenant/runs/:run/approvals  (Authorization: Bearer <approver JWT>, body {decision, comment?, node?})
// 401 no or bad token · 403 token of another tenant, or a decision the run refused · 404 unknown run (another
// tenant's included) · 409 nothing pending, or the run has ended · 503 the decision could not be verified just now
// (send it again) · 200 the decision counted. Refusals carry the run contract's `code`.
// GET /v1/tenants/:tenant/approvals[?run=ID]  (Authorization: Bearer <a token of the tenant>): the tenant's inbox,
// `{approvals: [...]}` (the README documents each field) · 401 no or bad token · 403 a token of another tenant.
import { NamespaceNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PendingApproval } from '../client';
import { tenantClients } from './tenant-clients';
import type { RuntimeConfig } from '../config/runtime';
import type { DecisionRefusal } from '../contract/messages';
import { isStewardError } from '../errors';
import { TokenInvalidError, verifyUserToken } from '../identity';
import { TenantId } from '../tenancy/tenant-id';
import { StewardRuntime } from '../runtime/steward-runtime';
import { formatZodIssues } from '../common/zod-issues';

const Decision = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(2_000).optional(),
  node: z.string().max(64).optional(),
});

// A decision that came at the wrong time is a conflict; one refused on its merits is forbidden; one that could not be
// checked just now is worth sending again.
const REFUSAL_STATUS: Readonly<Record<DecisionRefusal, number>> = {
  NOT_PENDING: 409,
  NODE_REQUIRED: 409,
  QUEUE_FULL: 409,
  APPROVER_REFUSED: 403,
  APPROVER_UNVERIFIED: 503,
  DECISION_INVALID: 400,
};

export function createApprovalsGateway(config: RuntimeConfig): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  // One runtime for every tenant (one pool, one Vault session, one Temporal connection); a tenant's client is made
  // on first use. The database role is checked before the gateway listens.
  const runtime = StewardRuntime.create(config, { poolSize: 4 });
  const clientFor = tenantClients(runtime);
  app.addHook('onReady', () => runtime.ready());
  app.addHook('onClose', () => runtime.close());

  app.get('/health', async () => ({ ok: true }));

  app.get<{ Params: { tenant: string }; Querystring: { run?: string } }>('/v1/tenants/:tenant/approvals', async (request, reply) => {
    const tenant = TenantId.safeParse(request.params.tenant);
    if (!tenant.success) return reply.code(400).send({ error: 'invalid tenant id' });
    const refused = await refuseCaller(request.headers.authorization, tenant.data);
    if (refused) return reply.code(refused.status).send({ error: refused.error });
    const run = typeof request.query.run === 'string' && request.query.run !== '' ? request.query.run : undefined;
    try {
      const pending = await (await clientFor(tenant.data)).listPendingApprovals(run === undefined ? {} : { workflowId: run });
      return reply.code(200).send({ approvals: pending.map(inboxEntry) });
    } catch (error) {
      if (isStewardError(error, 'TENANT_NOT_FOUND')) return reply.code(404).send({ error: 'tenant not found' });
      throw error;
    }
  });

  app.post<{ Params: { tenant: string; run: string } }>('/v1/tenants/:tenant/runs/:run/approvals', async (request, reply) => {
    const tenant = TenantId.safeParse(request.params.tenant);
    if (!tenant.success) return reply.code(400).send({ error: 'invalid tenant id' });
    const body = Decision.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: formatZodIssues(body.error, { root: 'body' }) });
    const refused = await refuseCaller(request.headers.authorization, tenant.data);
    if (refused) return reply.code(refused.status).send({ error: refused.error });
    const token = bearerOf(request.headers.authorization)!;
    try {
      const client = await clientFor(tenant.data);
      const run = await client.getRun(request.params.run);
      const request_ = { token, comment: body.data.comment, node: body.data.node };
      const answer = body.data.decision === 'approve' ? await run.approve(request_) : await run.reject(request_);
      if (answer.accepted) return reply.code(200).send(answer);
      return reply.code(REFUSAL_STATUS[answer.code]).send(answer);
    } catch (error) {
      if (isStewardError(error, 'NOT_FOUND')) return reply.code(409).send({ error: error.message });
      if (isStewardError(error, 'TENANT_NOT_FOUND') || error instanceof WorkflowNotFoundError || error instanceof NamespaceNotFoundError) {
        return reply.code(404).send({ error: 'run not found' });
      }
      throw error;
    }
  });
  /** Why a caller may not act for the tenant (no or a bad token, another tenant's), or undefined when they may. */
  async function refuseCaller(authorization: string | undefined, tenant: TenantId): Promise<{ status: number; error: string } | undefined> {
    const token = bearerOf(authorization);
    if (!token) return { status: 401, error: 'a bearer token is required' };
    if (!config.identity) return { status: 503, error: 'no identity provider is configured' };
    try {
      await verifyUserToken(token, { ...config.identity, tenant });
      return undefined;
    } catch (error) {
      if (error instanceof TokenInvalidError) return { status: error.reason === 'tenant_mismatch' ? 403 : 401, error: `token refused: ${error.reason}` };
      throw error;
    }
  }
  return app;
}

function bearerOf(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
}

/** The inbox's JSON: snake_case, times as ISO strings, absent fields as null, so a page can render every row alike. */
function inboxEntry(pending: PendingApproval) {
  return {
    workflow_id: pending.workflowId,
    run_id: pending.runId,
    node: pending.node,
    kind: pending.kind,
    message: pending.message ?? null,
    reason: pending.reason ?? null,
    approvers: pending.approvers,
    decisions: pending.decisions,
    required: pending.required,
    deadline: pending.deadline?.toISOString() ?? null,
    escalated: pending.escalated,
    since: pending.since.toISOString(),
  };
}

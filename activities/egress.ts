// Tool HTTP calls go out through the tenant's egress policy; each refusal is audited here, where it is decided,
// as `security.egress_denied` with the run, step, host and port (never a path or query, which may carry data).
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { fetchUnderEgressPolicy, type GuardedRequest } from '../src/egress/guarded-fetch';
import { createTenantEgressPolicy, type DeploymentEgress } from '../src/egress/tenant-egress';
import type { TenantId } from '../src/tenancy/tenant-id';

export interface EgressDeps {
  pool: Pool;
  tenant: TenantId;
  /** The deployment's allowances and its own services; without it only public addresses are reachable. */
  egress?: DeploymentEgress;
}

const NO_DEPLOYMENT_EGRESS: DeploymentEgress = { allow: [], protectedEndpoints: async () => [] };

export type GuardedFetch = (url: string, init: GuardedRequest, step: string) => Promise<Response>;

export function createGuardedFetch(deps: EgressDeps): GuardedFetch {
  const policy = createTenantEgressPolicy(deps.pool, deps.tenant, deps.egress ?? NO_DEPLOYMENT_EGRESS);
  return (url, init, step) =>
    fetchUnderEgressPolicy(url, init, {
      policy,
      onRefused: async (refusal) => {
        const { workflowId, runId } = Context.current().info.workflowExecution ?? {};
        await recordAuditEvent(deps.pool, deps.tenant, {
          type: 'security.egress_denied',
          workflowId,
          runId,
          step,
          attempt: Context.current().info.attempt,
          payload: { host: refusal.host, port: refusal.port, ...(refusal.address ? { address: refusal.address } : {}), reason: refusal.reason, hop: refusal.hop },
        });
      },
    });
}

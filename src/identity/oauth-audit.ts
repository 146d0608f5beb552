// An OAuth event as an entry of the tenant's audit trail (`oauth.<operation>`): who, which run and step, which
// scopes and how it ended. Events carry no token, so neither does the entry.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../audit/audit-log';
import type { TenantId } from '../tenancy/tenant-id';
import type { OAuthEvent } from './oauth-event';

/** Where the event happened, as far as the caller knows; `payload` adds fields of its own (client id, stage). */
export interface OAuthAuditPlace {
  workflowId?: string | undefined;
  runId?: string | undefined;
  step?: string | undefined;
  attempt?: number | undefined;
  userId?: string | undefined;
  agentId?: string | undefined;
  payload?: Record<string, unknown>;
}

export async function recordOAuthEvent(pool: Pool, tenant: TenantId, event: OAuthEvent, place: OAuthAuditPlace): Promise<void> {
  await recordAuditEvent(pool, tenant, {
    type: `oauth.${event.operation}`,
    workflowId: place.workflowId,
    runId: place.runId,
    step: place.step,
    attempt: place.attempt,
    userId: event.user ?? place.userId,
    agentId: place.agentId,
    payload: {
      outcome: event.outcome,
      ...place.payload,
      audience: event.audience,
      scopes_requested: event.scopesRequested,
      scopes_granted: event.scopesGranted,
      ...(event.errorCode ? { error_code: event.errorCode } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
    },
  });
}

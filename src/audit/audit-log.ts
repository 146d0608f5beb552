// The audit trail: append and read tenant-scoped audit events. Payloads are written already redacted by
// their callers (the data policy decides what may be kept); identities are ids, never tokens.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';

export interface AuditEvent {
  type: string;
  runId?: string;
  workflowId?: string;
  step?: string;
  attempt?: number;
  userId?: string;
  agentId?: string;
  payload?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  createdAt: Date;
}

export async function recordAuditEvent(pool: Pool, tenant: TenantId, event: AuditEvent): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `INSERT INTO audit_events (tenant_id, run_id, workflow_id, step, attempt, user_id, agent_id, event_type, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [tenant, event.runId, event.workflowId, event.step, event.attempt, event.userId, event.agentId, event.type, event.payload ?? {}],
    ),
  );
}

export async function listAuditEvents(pool: Pool, tenant: TenantId, filter: { workflowId?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query(
      `SELECT id, run_id, workflow_id, step, attempt, user_id, agent_id, event_type, payload, created_at
       FROM audit_events WHERE ($1::text IS NULL OR workflow_id = $1) ORDER BY id LIMIT $2`,
      [filter.workflowId ?? null, filter.limit ?? 1_000],
    );
    return result.rows.map((row) => ({
      id: String(row.id),
      type: row.event_type,
      runId: row.run_id ?? undefined,
      workflowId: row.workflow_id ?? undefined,
      step: row.step ?? undefined,
      attempt: row.attempt ?? undefined,
      userId: row.user_id ?? undefined,
      agentId: row.agent_id ?? undefined,
      payload: row.payload,
      createdAt: row.created_at,
    }));
  });
}

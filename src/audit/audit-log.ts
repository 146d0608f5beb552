// The audit trail: append and read tenant-scoped audit events. Payloads go through the run's data policy before
// they are written: prompts and outputs are kept only when the policy says so, and PII is redacted (tokenize
// becomes keyed hashing here, so the trail never holds a value that could be turned back). Identities are ids,
// never tokens. Every entry is appended to the tenant's hash chain (see chain-hash.ts): the chain head's row lock
// orders appends within a tenant only, and the application never updates or deletes an entry.
import type { Pool } from 'pg';
import { entryHash, genesisHash, normalizePayload, type ChainedContent } from './chain-hash';
import { applyDataPolicySync } from '../pii';
import type { DataPolicy } from '../pii/policy';
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

export interface AuditRedaction {
  policy: DataPolicy;
  /** The tenant's PII hashing key. */
  hmacKey: Uint8Array;
}

export function redactAuditPayload(payload: Record<string, unknown>, redaction: AuditRedaction): Record<string, unknown> {
  const { prompt, output, ...rest } = payload;
  const kept: Record<string, unknown> = { ...rest };
  if (prompt !== undefined && redaction.policy.retain_prompts) kept.prompt = prompt;
  if (output !== undefined && redaction.policy.retain_outputs) kept.output = output;
  const mode = redaction.policy.redaction_mode === 'tokenize' ? 'hash' : redaction.policy.redaction_mode;
  return applyDataPolicySync(kept, { ...redaction.policy, redaction_mode: mode }, { hmacKey: redaction.hmacKey }) as Record<string, unknown>;
}

/** Where an appended entry sits in its tenant's chain. */
export interface ChainPosition {
  seq: number;
  hash: string;
}

export function chainedContent(event: AuditEvent, payload: Record<string, unknown>, createdAt: Date): ChainedContent {
  return {
    type: event.type,
    runId: event.runId ?? null,
    workflowId: event.workflowId ?? null,
    step: event.step ?? null,
    attempt: event.attempt ?? null,
    userId: event.userId ?? null,
    agentId: event.agentId ?? null,
    payload,
    createdAt: createdAt.toISOString(),
  };
}

export async function recordAuditEvent(pool: Pool, tenant: TenantId, event: AuditEvent, redaction?: AuditRedaction): Promise<ChainPosition> {
  const payload = normalizePayload(redaction && event.payload ? redactAuditPayload(event.payload, redaction) : event.payload);
  // Stored with millisecond precision, the time a reader sees is the time that was hashed.
  const createdAt = new Date();
  return withTenant(pool, tenant, async (db) => {
    // Creates the head at genesis on the tenant's first entry, and in every case locks it until commit.
    const head = await db.query<{ seq: string; hash: string }>(
      `INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_chain_heads.seq RETURNING seq, hash`,
      [tenant, genesisHash(tenant)],
    );
    const previous = head.rows[0];
    if (!previous) throw new Error(`the audit chain head of tenant ${tenant} could not be read`);
    const seq = Number(previous.seq) + 1;
    const hash = entryHash(tenant, previous.hash, chainedContent(event, payload, createdAt));
    await db.query(
      `WITH entry AS (
         INSERT INTO audit_events (tenant_id, run_id, workflow_id, step, attempt, user_id, agent_id, event_type, payload, created_at, seq, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13))
       UPDATE audit_chain_heads SET seq = $11, hash = $13, updated_at = now() WHERE tenant_id = $1`,
      [tenant, event.runId, event.workflowId, event.step, event.attempt, event.userId, event.agentId, event.type, payload, createdAt, seq, previous.hash, hash],
    );
    return { seq, hash };
  });
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

// The audit trail: append and read tenant-scoped audit events. Payloads go through the run's data policy before
// they are written: prompts and outputs are kept only when the policy says so, and PII is redacted (tokenize
// becomes keyed hashing here, so the trail never holds a value that could be turned back). Identities are ids,
// never tokens. Every entry is appended to the tenant's hash chain (see chain-hash.ts): the chain head's row lock
// orders appends within a tenant only, and the application never updates or deletes an entry.
import type { Pool, PoolClient } from 'pg';
import { entryHash, genesisHash, normalizePayload, type ChainedContent, type ChainPosition } from './chain-hash';
import { checkpointIfCrossed } from './periodic-checkpoints';
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

/** The part of an entry its hash covers, in the shape the chain hashes. */
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

/** An event ready for the chain: its payload redacted and normalized, its time fixed. */
export interface ChainReadyEvent {
  event: AuditEvent;
  payload: Record<string, unknown>;
  createdAt: Date;
}

interface PendingAppend extends ChainReadyEvent {
  resolve: (position: ChainPosition) => void;
  reject: (error: unknown) => void;
}

export function readyForChain(event: AuditEvent, redaction?: AuditRedaction): ChainReadyEvent {
  const payload = normalizePayload(redaction && event.payload ? redactAuditPayload(event.payload, redaction) : event.payload);
  // Stored with millisecond precision, the time a reader sees is the time that was hashed.
  return { event, payload, createdAt: new Date() };
}

/** The most entries one append transaction writes. */
const MAX_BATCH = 500;

/** Appends waiting for their tenant's next transaction, per pool; at most one transaction per tenant in flight. */
const queues = new WeakMap<Pool, Map<TenantId, { pending: PendingAppend[]; flushing: boolean }>>();

/**
 * Appends entries in the caller's transaction, bound to `tenant`: the head's row lock is taken once and held until
 * that transaction ends, so whatever else the transaction does is ordered with the appends.
 */
export async function appendToChain(db: PoolClient, tenant: TenantId, batch: ChainReadyEvent[]): Promise<ChainPosition[]> {
  // Creates the head at genesis on the tenant's first entry, and in every case locks it until commit.
  const head = await db.query<{ seq: string; hash: string }>(
    `INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_chain_heads.seq RETURNING seq, hash`,
    [tenant, genesisHash(tenant)],
  );
  const previous = head.rows[0];
  if (!previous) throw new Error(`the audit chain head of tenant ${tenant} could not be read`);
  let seq = Number(previous.seq);
  let prevHash = previous.hash;
  const rows = batch.map(({ event, payload, createdAt }) => {
    seq += 1;
    const hash = entryHash(tenant, prevHash, chainedContent(event, payload, createdAt));
    const row = { event, payload: JSON.stringify(payload), createdAt: createdAt.toISOString(), seq, prevHash, hash };
    prevHash = hash;
    return row;
  });
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  await db.query(
    `WITH entries AS (
       INSERT INTO audit_events (tenant_id, run_id, workflow_id, step, attempt, user_id, agent_id, event_type, payload, created_at, seq, prev_hash, hash)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[],
                                $11::bigint[], $12::text[], $13::text[]))
     UPDATE audit_chain_heads SET seq = $14, hash = $15, updated_at = now() WHERE tenant_id = $1`,
    [
      tenant,
      column((row) => row.event.runId ?? null),
      column((row) => row.event.workflowId ?? null),
      column((row) => row.event.step ?? null),
      column((row) => row.event.attempt ?? null),
      column((row) => row.event.userId ?? null),
      column((row) => row.event.agentId ?? null),
      column((row) => row.event.type),
      column((row) => row.payload),
      column((row) => row.createdAt),
      column((row) => row.seq),
      column((row) => row.prevHash),
      column((row) => row.hash),
      seq,
      prevHash,
    ],
  );
  return rows.map((row) => ({ seq: row.seq, hash: row.hash }));
}

/** One transaction for a batch: one commit makes every entry durable. */
function appendBatch(pool: Pool, tenant: TenantId, batch: ChainReadyEvent[]): Promise<ChainPosition[]> {
  return withTenant(pool, tenant, (db) => appendToChain(db, tenant, batch));
}

async function flush(pool: Pool, tenant: TenantId, queue: { pending: PendingAppend[]; flushing: boolean }): Promise<void> {
  queue.flushing = true;
  while (queue.pending.length > 0) {
    const batch = queue.pending.splice(0, MAX_BATCH);
    try {
      const positions = await appendBatch(pool, tenant, batch);
      batch.forEach((append, i) => append.resolve(positions[i] as ChainPosition));
      checkpointIfCrossed(pool, tenant, positions);
    } catch (error) {
      // One bad entry must not fail the others: retried alone, each succeeds or fails on its own.
      if (batch.length === 1) batch[0]?.reject(error);
      else {
        const written: ChainPosition[] = [];
        for (const append of batch) {
          await appendBatch(pool, tenant, [append]).then(([position]) => {
            written.push(position as ChainPosition);
            append.resolve(position as ChainPosition);
          }, append.reject);
        }
        checkpointIfCrossed(pool, tenant, written);
      }
    }
  }
  queue.flushing = false;
}

/**
 * Appends an event to the tenant's chain and resolves once it is committed. Appends that arrive while the
 * tenant's previous transaction commits share the next one (group commit), so concurrent activities neither fork
 * the chain nor wait for one commit each.
 */
export function recordAuditEvent(pool: Pool, tenant: TenantId, event: AuditEvent, redaction?: AuditRedaction): Promise<ChainPosition> {
  const ready = readyForChain(event, redaction);
  let tenants = queues.get(pool);
  if (!tenants) queues.set(pool, (tenants = new Map()));
  let queue = tenants.get(tenant);
  if (!queue) tenants.set(tenant, (queue = { pending: [], flushing: false }));
  const waiting = queue;
  return new Promise<ChainPosition>((resolve, reject) => {
    waiting.pending.push({ ...ready, resolve, reject });
    if (!waiting.flushing) void flush(pool, tenant, waiting);
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

// Reads a tenant's chained audit trail (entries in chain order, head, checkpoints, purge markers, stray rows) and
// records signed checkpoints. Reads and inserts only: nothing here changes an entry or a checkpoint once written.
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from '../tenancy/tenant-id';
import type { ChainEntry, PurgeMarker, SignedCheckpoint } from './chain-verify';

export interface TrailFilter {
  runId?: string;
  type?: string;
  since?: Date;
}

export interface StoredChainEntry extends ChainEntry {
  id: string;
}

export interface TrailSnapshot {
  entries: StoredChainEntry[];
  checkpoints: SignedCheckpoint[];
  purgeMarkers: PurgeMarker[];
  head?: { seq: number; hash: string };
  /** Unchained rows written before the chain began. */
  legacyCount: number;
  /** Ids of unchained rows written after it began. */
  strayIds: string[];
}

const BATCH = 10_000;

interface EntryRow {
  id: string;
  seq: string;
  prev_hash: string;
  hash: string;
  event_type: string;
  run_id: string | null;
  workflow_id: string | null;
  step: string | null;
  attempt: number | null;
  user_id: string | null;
  agent_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

function toEntry(row: EntryRow): StoredChainEntry {
  return {
    id: String(row.id),
    seq: Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
    content: {
      type: row.event_type,
      runId: row.run_id,
      workflowId: row.workflow_id,
      step: row.step,
      attempt: row.attempt,
      userId: row.user_id,
      agentId: row.agent_id,
      payload: row.payload,
      createdAt: row.created_at.toISOString(),
    },
  };
}

interface SignedRow {
  seq: string;
  hash: string;
  key_version: number;
  signature: string;
}

function toSigned(row: SignedRow): SignedCheckpoint {
  return { seq: Number(row.seq), hash: row.hash, keyVersion: row.key_version, signature: row.signature };
}

/** Chained entries in sequence order, read in batches so a long trail never needs one huge result. */
async function readEntries(db: PoolClient, filter: TrailFilter): Promise<StoredChainEntry[]> {
  const entries: StoredChainEntry[] = [];
  let after = -1;
  for (;;) {
    const result = await db.query<EntryRow>(
      `SELECT id, seq, prev_hash, hash, event_type, run_id, workflow_id, step, attempt, user_id, agent_id, payload, created_at
       FROM audit_events
       WHERE seq IS NOT NULL AND seq > $1 AND ($2::text IS NULL OR run_id = $2) AND ($3::text IS NULL OR event_type = $3)
         AND ($4::timestamptz IS NULL OR created_at >= $4)
       ORDER BY seq LIMIT $5`,
      [after, filter.runId ?? null, filter.type ?? null, filter.since ?? null, BATCH],
    );
    entries.push(...result.rows.map(toEntry));
    const last = entries.at(-1);
    if (result.rows.length < BATCH || !last) return entries;
    after = last.seq;
  }
}

export async function readTrail(pool: Pool, tenant: TenantId, filter: TrailFilter = {}): Promise<TrailSnapshot> {
  return withTenant(pool, tenant, async (db) => {
    const entries = await readEntries(db, filter);
    const head = (await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads')).rows[0];
    const signed = async (table: 'audit_checkpoints' | 'audit_purge_markers') =>
      (await db.query<SignedRow>(`SELECT seq, hash, key_version, signature FROM ${table} ORDER BY seq`)).rows.map(toSigned);
    const checkpoints = await signed('audit_checkpoints');
    const purgeMarkers = await signed('audit_purge_markers');
    const unchained = await db.query<{ id: string; legacy: boolean }>(
      `SELECT id, id <= (SELECT legacy_max_id FROM audit_chain_epoch) AS legacy FROM audit_events WHERE seq IS NULL ORDER BY id`,
    );
    return {
      entries,
      head: head ? { seq: Number(head.seq), hash: head.hash } : undefined,
      checkpoints,
      purgeMarkers,
      legacyCount: unchained.rows.filter((row) => row.legacy).length,
      strayIds: unchained.rows.filter((row) => !row.legacy).map((row) => String(row.id)),
    };
    // One snapshot for all reads, so an append racing the verifier cannot look like a truncated tail.
  }, { snapshot: true });
}

export async function saveCheckpoint(pool: Pool, tenant: TenantId, checkpoint: SignedCheckpoint): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `INSERT INTO audit_checkpoints (tenant_id, seq, hash, key_version, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, seq) DO NOTHING`,
      [tenant, checkpoint.seq, checkpoint.hash, checkpoint.keyVersion, checkpoint.signature],
    ),
  );
}

// A worker replica's row in worker_replicas: written at every refresh, removed on a clean stop. A replica whose row
// has not been written for `ttlMs` counts as dead, and the others take its tenants over.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';
import type { LiveReplica } from './placement';

/** Rows of replicas dead this long are deleted by whichever replica heartbeats next. */
const FORGET_AFTER_MS = 24 * 3600_000;

export class ReplicaRegistry {
  readonly id = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly pool: Pool,
    private readonly options: { ttlMs: number; pinned?: TenantId[] },
  ) {}

  /** Writes this replica's heartbeat and returns every live replica, this one included. */
  async heartbeat(): Promise<LiveReplica[]> {
    const [host, pid] = [hostname(), process.pid];
    await this.pool.query(
      `INSERT INTO worker_replicas (id, host, pid, pinned) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), pinned = EXCLUDED.pinned`,
      [this.id, host, pid, this.options.pinned ?? null],
    );
    await this.pool.query(`DELETE FROM worker_replicas WHERE heartbeat_at < now() - make_interval(secs => $1)`, [FORGET_AFTER_MS / 1000]);
    const { rows } = await this.pool.query<{ id: string; pinned: TenantId[] | null }>(
      `SELECT id, pinned FROM worker_replicas WHERE heartbeat_at > now() - make_interval(secs => $1) ORDER BY id`,
      [this.options.ttlMs / 1000],
    );
    return rows.map((row) => (row.pinned ? { id: row.id, pinned: row.pinned } : { id: row.id }));
  }

  /** Removes this replica's row, so the others take its tenants at their next refresh rather than after the TTL. */
  async leave(): Promise<void> {
    await this.pool.query('DELETE FROM worker_replicas WHERE id = $1', [this.id]);
  }
}

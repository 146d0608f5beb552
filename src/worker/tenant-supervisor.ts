// Keeps one Worker running per served tenant: starts Workers for tenants that appear, drains those of tenants
// that are deleted, and makes sure each served tenant has its retention schedule. All Workers share the process's
// connection, workflow bundle and database pool.
import type { Connection } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Logger } from '../log/logger';
import { ensureRetentionSchedule } from '../retention/retention-schedule';
import type { Tenant } from '../tenancy/tenant-registry';
import type { TenantId } from '../tenancy/tenant-id';
import { createTenantWorker, type SharedActivityDeps } from './tenant-worker';

interface Served {
  worker: Worker;
  running: Promise<void>;
}

/** Workers created at once: each compiles the workflow bundle into its own sandbox, which is CPU-bound. */
const CREATE_CONCURRENCY = 2;

export class TenantSupervisor {
  private readonly served = new Map<TenantId, Served>();
  /** Syncs run one after another: an overlapping refresh would start a second Worker for a tenant being served. */
  private syncing: Promise<void> = Promise.resolve();
  /** Tenants whose retention schedule this process has ensured; the others are tried again on every sync. */
  private readonly scheduled = new Set<TenantId>();

  constructor(
    private readonly deps: {
      connection: NativeConnection;
      bundle: WorkflowBundleWithSourceMap;
      pool: Pool;
      log: Logger;
      shared: SharedActivityDeps;
      /** A client connection for the tenants' retention schedules, and their interval. */
      retention?: { connection: Connection; intervalMs: number };
    },
  ) {}

  get tenants(): TenantId[] {
    return [...this.served.keys()];
  }

  /** Serves exactly these tenants: starts the missing Workers and drains the ones no longer listed. */
  sync(tenants: Tenant[]): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow(tenants));
    return this.syncing;
  }

  private async syncNow(tenants: Tenant[]): Promise<void> {
    const wanted = new Map(tenants.filter((t) => t.status !== 'deleted').map((t) => [t.id, t]));
    const missing = [...wanted.values()].filter((tenant) => !this.served.has(tenant.id));
    for (let i = 0; i < missing.length; i += CREATE_CONCURRENCY) {
      await Promise.all(missing.slice(i, i + CREATE_CONCURRENCY).map((tenant) => this.serve(tenant)));
    }
    for (const tenant of wanted.values()) if (this.served.has(tenant.id)) await this.ensureRetention(tenant);
    for (const [id, served] of this.served) {
      if (wanted.has(id)) continue;
      this.scheduled.delete(id);
      this.served.delete(id);
      served.worker.shutdown();
      await served.running;
      this.deps.log.info({ tenant: id }, 'drained tenant worker');
    }
  }

  private async serve(tenant: Tenant): Promise<void> {
    const id = tenant.id;
    try {
      const worker = await createTenantWorker({ ...this.deps, tenant: id, namespace: tenant.namespace });
      const served: Served = {
        worker,
        // A Worker that fails (e.g. its namespace vanished for a moment) is forgotten, so the next sync restarts it.
        running: worker.run().catch((error: unknown) => {
          this.deps.log.error({ tenant: id, err: error }, 'tenant worker failed; it restarts on the next refresh');
          if (this.served.get(id) === served) this.served.delete(id);
        }),
      };
      this.served.set(id, served);
      this.deps.log.info({ tenant: id, namespace: tenant.namespace }, 'serving tenant');
    } catch (error) {
      // Typically a tenant whose namespace is still being created: the next sync tries again.
      this.deps.log.warn({ tenant: id, err: error }, 'cannot serve tenant yet');
    }
  }

  /** Tenants created before retention schedules existed get theirs here; a failure is retried on the next sync. */
  private async ensureRetention(tenant: Tenant): Promise<void> {
    const retention = this.deps.retention;
    if (!retention || this.scheduled.has(tenant.id)) return;
    try {
      const outcome = await ensureRetentionSchedule(retention.connection, tenant.namespace, retention.intervalMs);
      this.scheduled.add(tenant.id);
      if (outcome !== 'exists') this.deps.log.info({ tenant: tenant.id, outcome }, 'retention schedule ensured');
    } catch (error) {
      this.deps.log.warn({ tenant: tenant.id, err: error }, 'cannot ensure the retention schedule yet');
    }
  }

  /** Shuts every Worker down (letting running tasks finish) and resolves once all have stopped. */
  async shutdown(): Promise<void> {
    const all = [...this.served.values()];
    this.served.clear();
    for (const served of all) {
      // Temporal's runtime may already be shutting them down on the same signal.
      if (served.worker.getState() === 'RUNNING') served.worker.shutdown();
    }
    await Promise.all(all.map((served) => served.running));
  }
}

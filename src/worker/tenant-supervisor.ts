// Keeps one Worker running per served tenant: starts Workers for tenants that appear, drains those of tenants
// that are deleted, replaces a Worker that died, and makes sure each served tenant has its retention schedule. All
// Workers share the process's connection, workflow bundle and database pool; should Core still hold a dead Worker's
// registration, its replacement gets a connection of its own. A Worker that cannot reach the Temporal server stays
// RUNNING while it serves nothing, so health also asks the server whether it answers.
import type { Connection } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Logger } from '../log/logger';
import { ensureRetentionSchedule } from '../retention/retention-schedule';
import type { Tenant } from '../tenancy/tenant-registry';
import type { TenantId } from '../tenancy/tenant-id';
import { releaseWorkerOnFailure } from './release-failed-worker';
import { createTenantWorker, type SharedActivityDeps } from './tenant-worker';

interface Served {
  worker: Worker;
  running: Promise<void>;
  /** A connection made for this Worker alone (after a failed Worker kept the shared one's registration). */
  ownConnection?: NativeConnection;
}

/** What health reports of one tenant the process should serve. */
export interface TenantHealth {
  state: 'serving' | 'not_serving';
  /** Workers that died and were (or are to be) replaced since the process started. */
  restarts: number;
  /** Why the tenant is not served, or why its last Worker died: an error name and code, never data. */
  last_error?: string;
  last_error_at?: string;
}

export interface SupervisorHealth {
  healthy: boolean;
  /** Whether the Temporal server answered the last probe; no tenant is served while it does not. */
  temporal: 'reachable' | 'unreachable';
  expected: number;
  serving: number;
  tenants: Record<string, TenantHealth>;
}

/** Workers created at once: each compiles the workflow bundle into its own sandbox, which is CPU-bound. */
const CREATE_CONCURRENCY = 2;
/** How long the server may take to answer a probe before it counts as unreachable. */
const SERVER_PROBE_TIMEOUT_MS = 3_000;

export class TenantSupervisor {
  private readonly served = new Map<TenantId, Served>();
  /** Workers of deleted tenants still finishing their polls: a sync never waits for them, a shutdown does. */
  private readonly draining = new Set<Promise<void>>();
  private wanted = new Set<TenantId>();
  private readonly troubles = new Map<TenantId, { restarts: number; lastError?: string; lastErrorAt?: string }>();
  /**
   * Syncs run one after another (an overlapping one would start a second Worker for a tenant being served), and the
   * lists asked for while one runs collapse into the latest: a sync slower than the refresh interval would otherwise
   * queue stale lists without end, and a tenant created meanwhile would wait behind all of them.
   */
  private syncing?: Promise<void>;
  private nextList?: Tenant[];
  /** Tenants whose retention schedule this process has ensured; the others are tried again on every sync. */
  private readonly scheduled = new Set<TenantId>();
  private stopping = false;
  private synced = false;
  private serverReachable = true;

  constructor(
    private readonly deps: {
      connection: NativeConnection;
      bundle: WorkflowBundleWithSourceMap;
      pool: Pool;
      log: Logger;
      shared: SharedActivityDeps;
      /** A client connection for the tenants' retention schedules, and their interval. */
      retention?: { connection: Connection; intervalMs: number };
      /** A client connection whose server checkServer() probes; without it the server counts as reachable. */
      server?: Connection;
      /** How a replacement Worker connects when the shared connection refuses it. */
      connect: () => Promise<NativeConnection>;
      /** Passed to every Worker: bounds how long stopping may take. */
      shutdownGraceMs?: number;
    },
  ) {}

  get tenants(): TenantId[] {
    return [...this.served.keys()];
  }

  /**
   * Serves exactly these tenants: starts the missing Workers and drains the ones no longer listed. Resolves once the
   * latest list asked for (this one or a later one) has been applied.
   */
  sync(tenants: Tenant[]): Promise<void> {
    this.nextList = tenants;
    this.syncing ??= this.applyLatestLists().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async applyLatestLists(): Promise<void> {
    for (let tenants = this.nextList; tenants; tenants = this.nextList) {
      this.nextList = undefined;
      await this.syncNow(tenants);
    }
  }

  /** Asks the Temporal server whether it answers; health reports the outcome until the next probe. */
  async checkServer(): Promise<void> {
    const server = this.deps.server;
    if (!server) return;
    try {
      await server.withDeadline(Date.now() + SERVER_PROBE_TIMEOUT_MS, () => server.workflowService.getSystemInfo({}));
      if (!this.serverReachable) this.deps.log.info('the Temporal server answers again');
      this.serverReachable = true;
    } catch (error) {
      if (this.serverReachable) this.deps.log.error({ err: error }, 'the Temporal server does not answer: no tenant is served');
      this.serverReachable = false;
    }
  }

  /** Healthy only when the server answers and every tenant the process should serve has a running Worker. */
  health(): SupervisorHealth {
    const tenants: Record<string, TenantHealth> = {};
    let serving = 0;
    for (const id of this.wanted) {
      const served = this.served.get(id);
      const up = this.serverReachable && served !== undefined && served.worker.getState() === 'RUNNING';
      if (up) serving += 1;
      const trouble = this.troubles.get(id);
      tenants[id] = {
        state: up ? 'serving' : 'not_serving',
        restarts: trouble?.restarts ?? 0,
        ...(trouble?.lastError ? { last_error: trouble.lastError, last_error_at: trouble.lastErrorAt } : {}),
      };
    }
    return {
      healthy: this.synced && !this.stopping && this.serverReachable && serving === this.wanted.size,
      temporal: this.serverReachable ? 'reachable' : 'unreachable',
      expected: this.wanted.size,
      serving,
      tenants,
    };
  }

  private async syncNow(tenants: Tenant[]): Promise<void> {
    if (this.stopping) return;
    const wanted = new Map(tenants.filter((t) => t.status !== 'deleted').map((t) => [t.id, t]));
    this.wanted = new Set(wanted.keys());
    const missing = [...wanted.values()].filter((tenant) => !this.served.has(tenant.id));
    for (let i = 0; i < missing.length; i += CREATE_CONCURRENCY) {
      await Promise.all(missing.slice(i, i + CREATE_CONCURRENCY).map((tenant) => this.serve(tenant)));
    }
    for (const tenant of wanted.values()) if (this.served.has(tenant.id)) await this.ensureRetention(tenant);
    this.synced = true;
    for (const [id, served] of this.served) {
      if (wanted.has(id)) continue;
      this.scheduled.delete(id);
      this.served.delete(id);
      this.troubles.delete(id);
      if (served.worker.getState() === 'RUNNING') served.worker.shutdown();
      // A drain lasts as long as the Worker's open long polls (a minute, on a loaded machine): waiting for it here
      // would hold back every tenant created meanwhile.
      const drained: Promise<void> = served.running
        .catch(() => undefined)
        .then(() => {
          this.draining.delete(drained);
          this.deps.log.info({ tenant: id }, 'drained tenant worker');
        });
      this.draining.add(drained);
    }
  }

  private async serve(tenant: Tenant): Promise<void> {
    const id = tenant.id;
    try {
      const { worker, ownConnection } = await this.createWorker(tenant);
      releaseWorkerOnFailure(worker, this.deps.log.child({ tenant: id }));
      const served: Served = { worker, running: Promise.resolve(), ownConnection };
      served.running = worker
        .run()
        .catch(async (error: unknown) => {
          // A Worker that dies is forgotten, its registration released, and the next sync starts a new one.
          this.deps.log.error({ tenant: id, err: error }, 'tenant worker failed; it is replaced on the next refresh');
          this.noteTrouble(id, error, true);
          if (this.served.get(id) === served) this.served.delete(id);
        })
        .finally(() => served.ownConnection?.close().catch(() => undefined));
      this.served.set(id, served);
      this.deps.log.info({ tenant: id, namespace: tenant.namespace, own_connection: ownConnection !== undefined }, 'serving tenant');
    } catch (error) {
      // Typically a tenant whose namespace is still being created: the next sync tries again.
      this.noteTrouble(id, error, false);
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

  private async createWorker(tenant: Tenant): Promise<{ worker: Worker; ownConnection?: NativeConnection }> {
    const options = { ...this.deps, tenant: tenant.id, namespace: tenant.namespace };
    try {
      return { worker: await createTenantWorker(options) };
    } catch (error) {
      // Core keeps a dead Worker's registration on its connection when that Worker could not be shut down cleanly;
      // a connection of its own lets the replacement register all the same.
      if (!/overlapping/i.test(String((error as { message?: unknown } | null)?.message ?? error))) throw error;
      const connection = await this.deps.connect();
      try {
        return { worker: await createTenantWorker({ ...options, connection }), ownConnection: connection };
      } catch (retryError) {
        await connection.close().catch(() => undefined);
        throw retryError;
      }
    }
  }

  private noteTrouble(id: TenantId, error: unknown, died: boolean): void {
    const trouble = this.troubles.get(id) ?? { restarts: 0 };
    if (died) trouble.restarts += 1;
    trouble.lastError = describeError(error);
    trouble.lastErrorAt = new Date().toISOString();
    this.troubles.set(id, trouble);
  }

  /** Shuts every Worker down (letting running tasks finish) and resolves once all have stopped. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.syncing?.catch(() => undefined);
    const all = [...this.served.values()];
    this.served.clear();
    for (const served of all) {
      // Temporal's runtime may already be shutting them down on the same signal.
      if (served.worker.getState() === 'RUNNING') served.worker.shutdown();
    }
    await Promise.all([...all.map((served) => served.running.catch(() => undefined)), ...this.draining]);
  }
}

/** An error's name and code: enough to tell causes apart, and no message, which may quote data. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} (${code})` : error.name;
}

// Keeps a Worker for each served tenant: starts Workers for tenants that appear, drains those of tenants that are
// deleted, replaces a Worker that died, and makes sure each served tenant has its retention schedule. With activation
// on, a tenant's Worker runs only while its namespace has work: an idle tenant is only watched (a cheap look at its
// task queues every second), its Worker started when work shows up and stopped once it has been idle a while. All
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
import { createTenantWorker, type SharedActivityDeps, type TenantTaskLimits } from './tenant-worker';

interface Served {
  worker: Worker;
  running: Promise<void>;
  /** A connection made for this Worker alone (after a failed Worker kept the shared one's registration). */
  ownConnection?: NativeConnection;
  /** When the Worker last had a task in hand or waiting (its start counts). */
  busyAt: number;
}

/** Starting Workers on demand and stopping idle ones. */
export interface Activation {
  /** A Worker with no task in hand for this long, and none waiting, is stopped. */
  idleAfterMs: number;
  /** How many tasks wait in a namespace's task queues. */
  backlog: (namespace: string) => Promise<number>;
}

/** What health reports of one tenant the process should serve. */
export interface TenantHealth {
  /** serving: its Worker runs; idle: no Worker, but its namespace is watched and one starts when work arrives. */
  state: 'serving' | 'idle' | 'not_serving';
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
  /** Tenants served or watched: those whose work will be taken. */
  serving: number;
  /** Tenants whose Worker runs now. */
  active: number;
  tenants: Record<string, TenantHealth>;
}

/** Workers created at once: each compiles the workflow bundle into its own sandbox, which is CPU-bound. */
const CREATE_CONCURRENCY = 2;
/** How long the server may take to answer a probe before it counts as unreachable. */
const SERVER_PROBE_TIMEOUT_MS = 3_000;
/** Namespaces looked at at once when watching idle tenants. */
const WATCH_CONCURRENCY = 8;

export class TenantSupervisor {
  private readonly served = new Map<TenantId, Served>();
  /** Workers of deleted tenants still finishing their polls: a sync never waits for them, a shutdown does. */
  private readonly draining = new Set<Promise<void>>();
  private wanted = new Map<TenantId, Tenant>();
  /** Workers being created: neither a sync nor a watch starts a second one meanwhile. */
  private readonly starting = new Set<TenantId>();
  /** Idle tenants whose namespace the last watch could look at. */
  private readonly watched = new Set<TenantId>();
  private watching?: Promise<void>;
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
      /** Workers on demand; without it every served tenant's Worker runs all the time. */
      activation?: Activation;
      /** Each tenant's share of this process: tasks in hand at once. */
      limits?: TenantTaskLimits;
      /** Threads of the workflow sandbox all tenants' Workers share; the SDK's default (one) without it. */
      sandboxThreads?: number;
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

  /** Healthy only when the server answers and every tenant the process should serve has a running or watched Worker. */
  health(): SupervisorHealth {
    const tenants: Record<string, TenantHealth> = {};
    let serving = 0;
    let active = 0;
    for (const id of this.wanted.keys()) {
      const served = this.served.get(id);
      const running = this.serverReachable && served !== undefined && served.worker.getState() === 'RUNNING';
      const idle = this.serverReachable && served === undefined && this.watched.has(id);
      if (running) active += 1;
      if (running || idle) serving += 1;
      const trouble = this.troubles.get(id);
      tenants[id] = {
        state: running ? 'serving' : idle ? 'idle' : 'not_serving',
        restarts: trouble?.restarts ?? 0,
        ...(trouble?.lastError ? { last_error: trouble.lastError, last_error_at: trouble.lastErrorAt } : {}),
      };
    }
    return {
      healthy: this.synced && !this.stopping && this.serverReachable && serving === this.wanted.size,
      temporal: this.serverReachable ? 'reachable' : 'unreachable',
      expected: this.wanted.size,
      serving,
      active,
      tenants,
    };
  }

  private async syncNow(tenants: Tenant[]): Promise<void> {
    if (this.stopping) return;
    const wanted = new Map(tenants.filter((t) => t.status !== 'deleted').map((t) => [t.id, t]));
    const previous = new Set([...this.wanted.keys(), ...this.served.keys()]);
    this.wanted = wanted;
    for (const id of this.watched) if (!wanted.has(id)) this.watched.delete(id);
    if (!this.deps.activation) {
      const missing = [...wanted.values()].filter((tenant) => !this.served.has(tenant.id));
      for (let i = 0; i < missing.length; i += CREATE_CONCURRENCY) {
        await Promise.all(missing.slice(i, i + CREATE_CONCURRENCY).map((tenant) => this.serve(tenant)));
      }
    }
    this.synced = true;
    // A watched tenant's schedule fires in its namespace whether or not its Worker runs.
    const scheduling = [...wanted.values()].filter((tenant) => this.deps.activation || this.served.has(tenant.id));
    await forEachConcurrently(scheduling, WATCH_CONCURRENCY, (tenant) => this.ensureRetention(tenant));
    for (const id of previous) {
      if (wanted.has(id)) continue;
      this.scheduled.delete(id);
      this.troubles.delete(id);
      this.deps.log.info({ tenant: id }, 'tenant no longer served here');
      this.retire(id, 'drained tenant worker');
    }
  }

  /**
   * One look at every tenant under activation: a Worker is started for each idle tenant whose namespace has work, and
   * stopped for each served tenant idle for `idleAfterMs`. Rounds run one at a time: a tick that finds one still
   * running waits for it instead of starting another.
   */
  watch(): Promise<void> {
    const activation = this.deps.activation;
    if (!activation || this.watching || this.stopping || !this.synced) return this.watching ?? Promise.resolve();
    this.watching = this.watchOnce(activation).finally(() => (this.watching = undefined));
    return this.watching;
  }

  private async watchOnce(activation: Activation): Promise<void> {
    const now = Date.now();
    const toLook: Tenant[] = [];
    for (const tenant of this.wanted.values()) {
      const served = this.served.get(tenant.id);
      if (this.starting.has(tenant.id)) continue;
      if (!served) toLook.push(tenant);
      else if (hasTaskInHand(served.worker)) served.busyAt = now;
      else if (now - served.busyAt >= activation.idleAfterMs) toLook.push(tenant);
    }
    await forEachConcurrently(toLook, WATCH_CONCURRENCY, (tenant) => this.look(tenant, activation));
  }

  private async look(tenant: Tenant, activation: Activation): Promise<void> {
    let backlog: number;
    try {
      backlog = await activation.backlog(tenant.namespace);
    } catch (error) {
      if (this.watched.delete(tenant.id)) this.deps.log.warn({ tenant: tenant.id, err: error }, 'cannot see the tenant\'s task queues');
      this.noteTrouble(tenant.id, error, false);
      return;
    }
    this.watched.add(tenant.id);
    const served = this.served.get(tenant.id);
    if (!served) {
      if (backlog > 0 && !this.stopping && this.wanted.has(tenant.id)) await this.serve(tenant);
      return;
    }
    if (backlog > 0 || hasTaskInHand(served.worker)) served.busyAt = Date.now();
    else this.retire(tenant.id, 'stopped idle tenant worker');
  }

  /** Starts the tenant's Worker now if it is one this process serves (a wake request, sent before a query). */
  wake(id: TenantId): void {
    const tenant = this.wanted.get(id);
    if (!tenant || !this.deps.activation || this.stopping) return;
    const served = this.served.get(id);
    if (served) served.busyAt = Date.now();
    else void this.serve(tenant);
  }

  /** Stops a tenant's Worker without waiting for it: a drain lasts as long as its open long polls. */
  private retire(id: TenantId, why: string): void {
    const served = this.served.get(id);
    if (!served) return;
    this.served.delete(id);
    if (served.worker.getState() === 'RUNNING') served.worker.shutdown();
    const drained: Promise<void> = served.running
      .catch(() => undefined)
      .then(() => {
        this.draining.delete(drained);
        this.deps.log.info({ tenant: id }, why);
      });
    this.draining.add(drained);
  }

  private async serve(tenant: Tenant): Promise<void> {
    const id = tenant.id;
    if (this.starting.has(id) || this.served.has(id)) return;
    this.starting.add(id);
    try {
      const { worker, ownConnection } = await this.createWorker(tenant);
      releaseWorkerOnFailure(worker, this.deps.log.child({ tenant: id }));
      const served: Served = { worker, running: Promise.resolve(), ownConnection, busyAt: Date.now() };
      served.running = worker
        .run()
        .catch(async (error: unknown) => {
          // A Worker that dies is forgotten, its registration released, and the next sync (or, under activation, the
          // next look that finds work) starts a new one.
          this.deps.log.error({ tenant: id, err: error }, 'tenant worker failed; it is replaced on the next refresh');
          this.noteTrouble(id, error, true);
          if (this.served.get(id) === served) this.served.delete(id);
        })
        .finally(() => served.ownConnection?.close().catch(() => undefined));
      this.served.set(id, served);
      this.deps.log.info({ tenant: id, namespace: tenant.namespace, own_connection: ownConnection !== undefined }, 'serving tenant');
      // Stopped or dropped while the Worker was being made.
      if (this.stopping || !this.wanted.has(id)) this.retire(id, 'drained tenant worker');
    } catch (error) {
      // Typically a tenant whose namespace is still being created: the next sync tries again.
      this.noteTrouble(id, error, false);
      this.deps.log.warn({ tenant: id, err: error }, 'cannot serve tenant yet');
    } finally {
      this.starting.delete(id);
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
    const onActivity = () => {
      const served = this.served.get(tenant.id);
      if (served) served.busyAt = Date.now();
    };
    const options = { ...this.deps, tenant: tenant.id, namespace: tenant.namespace, onActivity };
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
    await Promise.all([this.syncing?.catch(() => undefined), this.watching]);
    const all = [...this.served.values()];
    this.served.clear();
    for (const served of all) {
      // Temporal's runtime may already be shutting them down on the same signal.
      if (served.worker.getState() === 'RUNNING') served.worker.shutdown();
    }
    await Promise.all([...all.map((served) => served.running.catch(() => undefined)), ...this.draining]);
  }
}

/** Runs `task` over the items, `concurrency` at a time: one slow item holds back only its own lane. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

function hasTaskInHand(worker: Worker): boolean {
  const status = worker.getStatus();
  return status.numInFlightWorkflowActivations > 0 || status.numInFlightActivities > 0;
}

/** An error's name and code: enough to tell causes apart, and no message, which may quote data. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} (${code})` : error.name;
}

// The worker process: one connection, one bundle, one Worker per tenant namespace with work. Without --tenant it is
// one of the replicas sharing every tenant in the registry (each takes its share, see placement.ts) and follows
// creations, deletions and replicas joining or leaving; with --tenant it is a dedicated replica for those tenants.
// Temporal's runtime turns SIGINT and SIGTERM into a graceful shutdown (running tasks finish, polling stops); whatever
// is still running when STEWARD_WORKER_STOP_TIMEOUT_MS has passed is abandoned and the process exits, so a stop is
// always bounded.
import type { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { RuntimeConfig } from '../config/runtime';
import type { Logger } from '../log/logger';
import { StewardRuntime } from '../runtime/steward-runtime';
import { loadConnectionOptions } from '../temporal/connection';
import { findTenant, listTenants, tenantNotFound, type Tenant } from '../tenancy/tenant-registry';
import type { TenantId } from '../tenancy/tenant-id';
import { createWorkflowBundle } from './bundle';
import { startHealthServer, type HealthServer } from './health-server';
import { namespaceBacklog } from './namespace-work';
import { shareOf, type LiveReplica } from './placement';
import { ReplicaRegistry } from './replica-registry';
import { listenForWakes } from './wake-requests';
import { createSharedActivityDeps } from './shared-deps';
import { TenantSupervisor, type Activation } from './tenant-supervisor';
import { startWorkerTelemetry, WORKFLOW_TRACING_INTERCEPTORS, type WorkerTelemetry } from './worker-telemetry';

export interface WorkerScope {
  /** Serve only these tenants (a dedicated worker); every registered tenant when omitted. */
  only?: TenantId[];
  /** Never serve these (tenants that have dedicated workers). */
  except?: TenantId[];
}

export interface WorkerProbe {
  /** Serve GET /healthz on this port (0: any free port, logged); no endpoint when omitted. */
  port?: number;
  host?: string;
}

export async function runWorker(config: RuntimeConfig, scope: WorkerScope, log: Logger, probe: WorkerProbe = {}): Promise<void> {
  // Listen before anything else: a signal that arrives while the bundle is still building must not be lost.
  let stopping = false;
  const stopTimeoutMs = config.env.STEWARD_WORKER_STOP_TIMEOUT_MS;
  const stopped = new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve)).then(() => {
    stopping = true;
    exitIfStopTakesTooLong(stopTimeoutMs, log);
  });
  log.info('worker starting');
  installSdkLogger(log);
  // The process's pool, Vault session and client connection; the Workers' own connection is a native one.
  const runtime = await StewardRuntime.open(config, { poolSize: 10 });
  const pool = runtime.pool;
  const connect = () => NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const telemetry = startWorkerTelemetry();
  if (telemetry.tracing) log.info('tracing runs to the OTLP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT');
  const bundled = createWorkflowBundle({ interceptorModules: telemetry.tracing ? [WORKFLOW_TRACING_INTERCEPTORS] : [] });
  const startup = Promise.all([connect(), runtime.connection(), bundled]);
  const ready = await Promise.race([startup, stopped.then(() => undefined)]);
  if (!ready) return stopBeforeStart(startup, runtime, log, telemetry);
  const [connection, clientConnection, bundle] = ready;
  const shared = { ...createSharedActivityDeps(runtime, log), telemetry };
  const env = config.env;
  const retention = { connection: clientConnection, intervalMs: env.STEWARD_RETENTION_INTERVAL_MS };
  const activation: Activation | undefined =
    env.STEWARD_TENANT_IDLE_MS > 0 ? { idleAfterMs: env.STEWARD_TENANT_IDLE_MS, backlog: (namespace) => namespaceBacklog(clientConnection, namespace) } : undefined;
  const limits = { activities: env.STEWARD_TENANT_MAX_ACTIVITIES, workflowTasks: env.STEWARD_TENANT_MAX_WORKFLOW_TASKS };
  const supervisor = new TenantSupervisor({ connection, bundle, pool, log, shared, retention, server: clientConnection, connect, shutdownGraceMs: stopTimeoutMs, activation, limits, sandboxThreads: env.STEWARD_WORKFLOW_THREADS });
  const replica = new ReplicaRegistry(pool, { ttlMs: env.STEWARD_REPLICA_TTL_MS, pinned: scope.only });
  log.info({ replica: replica.id, dedicated: scope.only !== undefined }, 'worker replica');
  let health: HealthServer | undefined;
  if (probe.port !== undefined) {
    health = await startHealthServer({ port: probe.port, host: probe.host ?? '127.0.0.1', health: () => supervisor.health(), metrics: telemetry.metricsEndpoint.handle });
    log.info({ port: health.port, host: probe.host ?? '127.0.0.1' }, 'health endpoint listening on /healthz (metrics on /metrics)');
  }
  let share = new Set<TenantId>();
  // The heartbeat keeps its own beat: a sync can take minutes (a first one over hundreds of tenants on a loaded
  // server), and a replica silent that long would be counted dead while it serves.
  let live: LiveReplica[] | undefined;
  let beating: Promise<LiveReplica[] | undefined> | undefined;
  const heartbeat = () =>
    (beating ??= replica
      .heartbeat()
      .then((replicas) => (live = replicas))
      .catch((error: unknown) => {
        log.warn({ err: error }, 'cannot write this replica\'s heartbeat');
        return live;
      })
      .finally(() => (beating = undefined)));
  const servedTenants = async (): Promise<Tenant[]> => {
    const replicas = live ?? (await heartbeat());
    if (!replicas) throw new Error('the replica registry cannot be read');
    if (scope.only) {
      return Promise.all(scope.only.map(async (id) => (await findTenant(pool, id)) ?? Promise.reject(tenantNotFound(id))));
    }
    const candidates = (await listTenants(pool)).filter((tenant) => !scope.except?.includes(tenant.id));
    const mine = new Set(shareOf(replica.id, candidates.map((tenant) => tenant.id), replicas));
    const [gained, lost] = [[...mine].filter((id) => !share.has(id)), [...share].filter((id) => !mine.has(id))];
    if (gained.length + lost.length > 0) log.info({ replicas: replicas.length, tenants: mine.size, gained: gained.length, lost: lost.length }, 'tenant share changed');
    share = mine;
    return candidates.filter((tenant) => mine.has(tenant.id));
  };
  // A refresh still running when the timer fires again is left to finish: probes and registry reads do not pile up.
  let refreshing = false;
  const refresh = async () => {
    if (refreshing || stopping) return;
    refreshing = true;
    try {
      await supervisor.checkServer();
      if (!stopping) await supervisor.sync(await servedTenants());
    } catch (error) {
      log.error({ err: error }, 'cannot read the tenant registry');
    } finally {
      refreshing = false;
    }
  };
  const timer = setInterval(() => void refresh(), env.STEWARD_TENANT_REFRESH_MS);
  const beat = setInterval(() => void heartbeat(), env.STEWARD_TENANT_REFRESH_MS);
  const watcher = setInterval(() => void supervisor.watch(), env.STEWARD_TENANT_WATCH_MS);
  const wakes = activation ? listenForWakes(config.appDatabaseUrl, (tenant) => supervisor.wake(tenant), log) : undefined;
  try {
    if (!stopping) await supervisor.sync(await servedTenants());
    log.info({ tenants: supervisor.tenants }, 'worker started');
    await stopped;
  } finally {
    clearInterval(timer);
    clearInterval(watcher);
    clearInterval(beat);
    await beating;
    await wakes?.stop();
    // Gone from the registry first: the other replicas take these tenants at their next refresh, not after the TTL.
    await replica.leave().catch((error: unknown) => log.warn({ err: error }, 'could not remove this replica from the registry'));
    await supervisor.shutdown();
    await health?.close();
    shared.auditSigner?.close();
    await connection.close();
    await runtime.close();
    // The last spans (runs that ended just now) are exported before the process goes.
    await telemetry.shutdown().catch((error: unknown) => log.warn({ err: error }, 'could not export the last spans'));
    log.info('worker stopped');
  }
}

/**
 * A stop that arrives while the worker is still starting has nothing to drain: the process exits at once rather than
 * wait for the workflow bundle, whose build (tens of seconds on a loaded machine) cannot be interrupted. Connections
 * still opening are closed as they arrive.
 */
async function stopBeforeStart(startup: Promise<[NativeConnection, Connection, unknown]>, runtime: StewardRuntime, log: Logger, telemetry: WorkerTelemetry): Promise<never> {
  void startup.then(([native]) => native.close()).catch(() => undefined);
  await runtime.close();
  await telemetry.shutdown().catch(() => undefined);
  log.info('worker stopped before it started');
  log.flush?.();
  process.exit(0);
}

/** Arms the deadline of a stop: a Worker stuck in a failure (or a hung connection) cannot keep the process alive. */
function exitIfStopTakesTooLong(timeoutMs: number, log: Logger): void {
  setTimeout(() => {
    log.error({ timeout_ms: timeoutMs }, 'worker did not stop in time; exiting without waiting for the rest');
    log.flush?.();
    process.exit(1);
  }, timeoutMs).unref();
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's own logs (worker state, task failures) go through the same structured logger. */
function installSdkLogger(log: Logger): void {
  const sdkLogger = new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]]({ ...entry.meta, sdk: true }, entry.message));
  Runtime.install({ logger: sdkLogger });
}

// One Temporal Worker for one tenant namespace, sharing the process's connection, bundle and database pool.
import type { ActivityInterceptorsFactory, NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDeps } from '../../activities';
import type { SubjectKeyVaults } from '../codec/pii-vault/subject-key-vault';
import { TASK_QUEUE } from '../temporal/connection';
import type { StewardRuntime } from '../runtime/steward-runtime';
import type { TenantId } from '../tenancy/tenant-id';
import type { Logger } from '../log/logger';
import { SandboxReleasingWorker } from './sandbox-releasing-worker';
import { telemetryWorkerOptions, type WorkerTelemetry } from './worker-telemetry';

/**
 * What every tenant's activities share in one worker process; the tenant (and its keyring) is bound per Worker. The
 * runtime gives each Worker its tenant's keyring and data converter.
 */
export type SharedActivityDeps = Omit<ActivityDeps, 'pool' | 'tenant' | 'keyring' | 'piiHmacKey' | 'piiSubjectKeys' | 'metrics'> & {
  runtime: StewardRuntime;
  /** The process's tracing and metrics; a Worker without it neither traces nor counts. */
  telemetry?: WorkerTelemetry;
  piiSubjectKeyVaults: SubjectKeyVaults;
  piiHmacKeys: (tenant: TenantId) => Uint8Array;
};

export interface TenantWorkerOptions {
  connection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  pool: Pool;
  tenant: TenantId;
  namespace: string;
  shared: SharedActivityDeps;
  log?: Pick<Logger, 'warn'>;
  /** Bounds a stop: running activities get half of it to finish, then the Worker is torn down at three quarters. */
  shutdownGraceMs?: number;
  /** Called as each activity starts and ends: how the supervisor tells a busy Worker from an idle one. */
  onActivity?: () => void;
  /** Tasks this tenant may have in hand at once in this process, so one tenant's burst cannot starve the others. */
  limits?: TenantTaskLimits;
  /** Threads of the workflow sandbox every tenant's Worker in this process shares. */
  sandboxThreads?: number;
}

export interface TenantTaskLimits {
  activities: number;
  workflowTasks: number;
}

/** Marks the Worker busy when an activity starts and again when it ends. */
function activityMarker(mark: () => void): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        mark();
        try {
          return await next(input);
        } finally {
          mark();
        }
      },
    },
  });
}

export function createTenantWorker(options: TenantWorkerOptions): Promise<Worker> {
  // One Worker polls one namespace, so its data converter and activities get that tenant's keyring and no other;
  // the factory itself never reaches activities.
  const { runtime, piiHmacKeys, piiSubjectKeyVaults, telemetry, ...shared } = options.shared;
  const tenant = runtime.tenantOf({ id: options.tenant, namespace: options.namespace });
  const keyring = tenant.keyring;
  const { interceptors, sinks } = telemetryWorkerOptions(telemetry, options.tenant);
  const markers = options.onActivity ? [activityMarker(options.onActivity)] : [];
  return SandboxReleasingWorker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: options.bundle,
    ...(options.sandboxThreads ? { workflowThreadPoolSize: options.sandboxThreads } : {}),
    ...(options.shutdownGraceMs ? { shutdownGraceTime: Math.round(options.shutdownGraceMs / 2), shutdownForceTime: Math.round((options.shutdownGraceMs * 3) / 4) } : {}),
    dataConverter: tenant.dataConverter({
      onFailureFallback: (event) => options.log?.warn({ tenant: options.tenant, ...event }, 'a failure was encoded without tokenized PII: the codec could not reach what it needs'),
    }),
    sinks,
    interceptors: { ...interceptors, activity: [...(interceptors?.activity ?? []), ...markers] },
    ...(options.limits
      ? { maxConcurrentActivityTaskExecutions: options.limits.activities, maxConcurrentWorkflowTaskExecutions: options.limits.workflowTasks }
      : {}),
    activities: createActivities({ ...shared, metrics: telemetry?.metrics, keyring, piiHmacKey: piiHmacKeys(options.tenant), piiSubjectKeys: piiSubjectKeyVaults.forTenant(options.tenant), pool: options.pool, tenant: options.tenant }),
  });
}

// One Temporal Worker for one tenant namespace, sharing the process's connection, bundle and database pool.
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDeps } from '../../activities';
import { TASK_QUEUE } from '../temporal/connection';
import type { TenantId } from '../tenancy/tenant-id';

/** What every tenant's activities share in one worker process; the tenant is bound per Worker. */
export type SharedActivityDeps = Omit<ActivityDeps, 'pool' | 'tenant'>;

export interface TenantWorkerOptions {
  connection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  pool: Pool;
  tenant: TenantId;
  namespace: string;
  shared?: SharedActivityDeps;
}

export function createTenantWorker(options: TenantWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: options.bundle,
    activities: createActivities({ ...options.shared, pool: options.pool, tenant: options.tenant }),
  });
}

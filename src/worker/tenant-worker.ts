// One Temporal Worker for one tenant namespace, sharing the process's connection, bundle and database pool.
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDeps } from '../../activities';
import { createTenantDataConverter, type KeyringFactory } from '../codec';
import type { PiiCodecFactory } from '../codec/pii-codecs';
import { TASK_QUEUE } from '../temporal/connection';
import type { TenantId } from '../tenancy/tenant-id';

/** What every tenant's activities share in one worker process; the tenant (and its keyring) is bound per Worker. */
export type SharedActivityDeps = Omit<ActivityDeps, 'pool' | 'tenant' | 'keyring' | 'piiHmacKey'> & {
  keyrings: KeyringFactory;
  piiCodecs: PiiCodecFactory;
  piiHmacKeys: (tenant: TenantId) => Uint8Array;
};

export interface TenantWorkerOptions {
  connection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  pool: Pool;
  tenant: TenantId;
  namespace: string;
  shared: SharedActivityDeps;
}

export function createTenantWorker(options: TenantWorkerOptions): Promise<Worker> {
  // One Worker polls one namespace, so its data converter and activities get that tenant's keyring and no other;
  // the factory itself never reaches activities.
  const { keyrings, piiCodecs, piiHmacKeys, ...shared } = options.shared;
  const keyring = keyrings.keyringFor(options.tenant);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: options.bundle,
    dataConverter: createTenantDataConverter({
      keyring,
      namespace: options.namespace,
      compressAboveBytes: keyrings.compressAboveBytes,
      piiCodec: piiCodecs.codecFor(keyring, options.namespace),
    }),
    activities: createActivities({ ...shared, keyring, piiHmacKey: piiHmacKeys(options.tenant), pool: options.pool, tenant: options.tenant }),
  });
}

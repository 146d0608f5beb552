// Test helpers over the real stack: unique tenants per test run, a runtime config, and in-process workers.
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { ensureNamespace } from '../../src/temporal/namespaces';
import { Connection } from '@temporalio/client';
import { assertTenantId, namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { createTenantWorker } from '../../src/worker/tenant-worker';

export function testConfig(): RuntimeConfig {
  return loadRuntimeConfig();
}

/** A tenant id unique to this test run, so runs of the suite never see each other's data. */
export function uniqueTenant(name: string): TenantId {
  return assertTenantId(`${name}-${process.env.STEWARD_TEST_RUN_ID ?? Date.now().toString(36)}`);
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** Runs a real Worker for the tenant's namespace in this process until stop() is called. */
export async function startTenantWorker(tenant: TenantId, config = testConfig()): Promise<RunningWorker> {
  const options = loadConnectionOptions(config.localTemporalAddress);
  const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  const admin = await Connection.connect(options);
  await ensureNamespace(admin, namespace, 1).finally(() => admin.close());
  const [connection, bundle] = await Promise.all([NativeConnection.connect(options), createWorkflowBundle()]);
  const pool = createPool(config.databaseUrl, { max: 4 });
  const worker = await createTenantWorker({ connection, bundle, pool, tenant, namespace });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await pool.end();
      await connection.close();
    },
  };
}

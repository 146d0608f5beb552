// The worker process: one connection, one bundle, one Worker per tenant namespace. Temporal's runtime turns
// SIGINT and SIGTERM into a graceful shutdown (running activities finish, polls stop).
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import type { RuntimeConfig } from '../config/runtime';
import { createPool } from '../db/pool';
import type { Logger } from '../log/logger';
import { loadConnectionOptions } from '../temporal/connection';
import { ensureNamespace } from '../temporal/namespaces';
import { namespaceForTenant, type TenantId } from '../tenancy/tenant-id';
import { createWorkflowBundle } from './bundle';
import { createTenantWorker } from './tenant-worker';

export async function runWorker(config: RuntimeConfig, tenants: TenantId[], log: Logger): Promise<void> {
  installSdkLogger(log);
  const connectionOptions = loadConnectionOptions(config.localTemporalAddress);
  const namespaces = tenants.map((tenant) => ({ tenant, namespace: namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX) }));
  const admin = await Connection.connect(connectionOptions);
  try {
    for (const { namespace } of namespaces) await ensureNamespace(admin, namespace, config.env.STEWARD_NAMESPACE_RETENTION_DAYS);
  } finally {
    await admin.close();
  }
  const [connection, bundle] = await Promise.all([NativeConnection.connect(connectionOptions), createWorkflowBundle()]);
  const pool = createPool(config.databaseUrl);
  try {
    const workers = await Promise.all(
      namespaces.map(({ tenant, namespace }) => createTenantWorker({ connection, bundle, pool, tenant, namespace })),
    );
    log.info({ namespaces: namespaces.map((n) => n.namespace) }, 'worker started');
    await Promise.all(workers.map((worker) => worker.run()));
    log.info('worker stopped');
  } finally {
    await pool.end();
    await connection.close();
  }
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

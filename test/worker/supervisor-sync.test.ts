// The worker's refresh timer asks the supervisor to sync every few hundred milliseconds, and one sync can take far
// longer (a tenant whose namespace is missing is retried on each). Lists asked for while a sync runs must collapse
// into the latest one: queued one by one, they pile up without end, and a tenant created meanwhile waits behind them.
import { NativeConnection } from '@temporalio/worker';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { findTenant, type Tenant } from '../../src/tenancy/tenant-registry';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { TenantSupervisor } from '../../src/worker/tenant-supervisor';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();

test('syncs asked for while one runs collapse into the latest list, which is applied', async () => {
  const tenant = await createTestTenant('sync-latest');
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  const connect = () => NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const connection = await connect();
  const lines: string[] = [];
  const log = createLogger('supervisor-sync-test', 'info', { write: (line: string) => void lines.push(line) });
  const shared = createSharedActivityDeps(StewardRuntime.create(config), log);
  const supervisor = new TenantSupervisor({ connection, bundle: await createWorkflowBundle(), pool, log, shared, connect });
  // Registered nowhere: every attempt to serve it fails, as for a tenant whose namespace is gone.
  const ghost: Tenant = { id: 'sync-ghost' as TenantId, displayName: 'ghost', status: 'active', namespace: `no-such-namespace-${Date.now()}`, createdAt: new Date() };
  try {
    const real = (await findTenant(pool, tenant)) as Tenant;
    const stale = Array.from({ length: 20 }, () => supervisor.sync([ghost]));
    await supervisor.sync([ghost, real]);
    await Promise.all(stale);

    expect(supervisor.tenants).toEqual([tenant]);
    const attempts = lines.filter((line) => line.includes('cannot serve tenant yet') && line.includes('sync-ghost'));
    // The first sync, then one for the latest list: not one per request.
    expect(attempts).toHaveLength(2);
  } finally {
    await supervisor.shutdown();
    await shared.runtime.close();
    await pool.end();
    await connection.close();
  }
});

// A tenant of its own for one benchmark run: created before, deleted after (with its namespace and rows), so
// benchmarks leave nothing behind on the stack they measure.
import { Connection } from '@temporalio/client';
import type { RuntimeConfig } from '../../../src/config/runtime';
import { createPool } from '../../../src/db/pool';
import { setTenantEgressAllow } from '../../../src/egress/tenant-egress';
import { loadConnectionOptions } from '../../../src/temporal/connection';
import { assertTenantId, type TenantId } from '../../../src/tenancy/tenant-id';
import { subjectKeyVaultsFor } from '../../../src/codec/pii-vault/subject-key-vault';
import { createTenant, deleteTenant } from '../../../src/tenancy/tenant-service';

export async function withBenchTenant<T>(config: RuntimeConfig, prefix: string, work: (tenant: TenantId) => Promise<T>): Promise<T> {
  const tenant = assertTenantId(`${prefix}-${Date.now().toString(36)}`);
  const admin = createPool(config.databaseUrl, { max: 1 });
  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  const deps = { admin, connection, env: config.env };
  try {
    await createTenant(deps, tenant);
    // Benchmarks' tool targets listen on loopback; the stack's own services stay refused.
    await setTenantEgressAllow(admin, tenant, ['127.0.0.0/8']);
    try {
      return await work(tenant);
    } finally {
      await deleteTenant({ ...deps, subjectKeys: subjectKeyVaultsFor(config) }, tenant, { force: true });
    }
  } finally {
    await connection.close();
    await admin.end();
  }
}

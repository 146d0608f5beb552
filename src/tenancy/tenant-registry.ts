// The tenant registry and each tenant's partitions. Runs on the operator's connection: creating and dropping
// partitions is DDL, which the application role cannot do.
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../db/transaction';
import { StewardError } from '../errors';
import type { TenantId } from './tenant-id';

export const TENANT_STATUSES = ['active', 'suspended', 'deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface Tenant {
  id: TenantId;
  displayName: string;
  status: TenantStatus;
  namespace: string;
  createdAt: Date;
}

interface TenantRow {
  id: TenantId;
  display_name: string;
  status: TenantStatus;
  namespace: string;
  created_at: Date;
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  displayName: row.display_name,
  status: row.status,
  namespace: row.namespace,
  createdAt: row.created_at,
});

// Creating or dropping a tenant's partitions takes an exclusive lock on every tenant-scoped parent table. Taken one
// by one while the application's transactions hold some of them, they can deadlock, with either side the victim. So
// the DDL waits for each at most 200 ms (well under Postgres's 1 s deadlock check) and, when one stays busy, lets go of
// all and tries again a moment later: it never waits long holding a lock, so it never deadlocks. One advisory lock
// queues the DDLs.
const PARTITION_DDL_LOCK_ID = 0x5743_0002;
const LOCK_NOT_AVAILABLE = '55P03';
const PARTITION_DDL_RETRY = { codes: [LOCK_NOT_AVAILABLE], attempts: 300 };

async function lockTenantScopedTables(db: PoolClient): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_DDL_LOCK_ID]);
  const { rows } = await db.query<{ name: string }>('SELECT name FROM tenant_scoped_tables ORDER BY name');
  await db.query(`SET LOCAL lock_timeout = '200ms'`);
  await db.query(`LOCK TABLE ${rows.map((row) => db.escapeIdentifier(row.name)).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  await db.query('SET LOCAL lock_timeout = 0');
}

/** Registers the tenant (or revives a deleted one) and creates its partitions; both steps are idempotent. */
export async function upsertTenantWithPartitions(admin: Pool, id: TenantId, displayName: string, namespace: string): Promise<Tenant> {
  return inTransaction(admin, async (db) => {
    await lockTenantScopedTables(db);
    const result = await db.query<TenantRow>(
      `INSERT INTO tenants (id, display_name, namespace) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET
         status = CASE WHEN tenants.status = 'deleted' THEN 'active' ELSE tenants.status END,
         updated_at = now()
       RETURNING *`,
      [id, displayName, namespace],
    );
    await db.query('SELECT steward_create_tenant_partitions($1)', [id]);
    return toTenant(result.rows[0]!);
  }, { retry: PARTITION_DDL_RETRY });
}

/** Drops the tenant's partitions (its data) and marks it deleted; returns the partitions dropped. */
export async function dropTenantData(admin: Pool, id: TenantId): Promise<string[]> {
  return inTransaction(admin, async (db) => {
    await lockTenantScopedTables(db);
    const dropped = await db.query<{ partition: string }>('SELECT steward_drop_tenant_partitions($1) AS partition', [id]);
    await db.query(`UPDATE tenants SET status = 'deleted', updated_at = now() WHERE id = $1`, [id]);
    return dropped.rows.map((row) => row.partition);
  }, { retry: PARTITION_DDL_RETRY });
}

export async function setTenantStatus(admin: Pool, id: TenantId, status: Exclude<TenantStatus, 'deleted'>): Promise<Tenant> {
  const result = await admin.query<TenantRow>(
    `UPDATE tenants SET status = $2, updated_at = now() WHERE id = $1 AND status <> 'deleted' RETURNING *`,
    [id, status],
  );
  if (!result.rows[0]) throw tenantNotFound(id);
  return toTenant(result.rows[0]);
}

/** Any connection may read the registry, through steward_tenant_registry(): ids, names, namespaces and statuses of
 *  every tenant, never their prices, budgets or settings (the application role sees those of its own tenant only). */
export async function findTenant(pool: Pool, id: TenantId): Promise<Tenant | undefined> {
  const result = await pool.query<TenantRow>(`SELECT * FROM steward_tenant_registry() WHERE id = $1 AND status <> 'deleted'`, [id]);
  return result.rows[0] ? toTenant(result.rows[0]) : undefined;
}

export async function listTenants(pool: Pool, options: { includeDeleted?: boolean } = {}): Promise<Tenant[]> {
  const result = await pool.query<TenantRow>(
    `SELECT * FROM steward_tenant_registry() WHERE $1 OR status <> 'deleted' ORDER BY id`,
    [options.includeDeleted ?? false],
  );
  return result.rows.map(toTenant);
}

/** The tenant, if it exists and may start runs; a clear error otherwise. */
export async function assertTenantCanStartRuns(pool: Pool, id: TenantId): Promise<Tenant> {
  const tenant = await findTenant(pool, id);
  if (!tenant) throw tenantNotFound(id);
  if (tenant.status === 'suspended') {
    throw new StewardError('TENANT_SUSPENDED', `tenant ${id} is suspended: it cannot start runs (runs already started continue)`);
  }
  return tenant;
}

export function tenantNotFound(id: TenantId): StewardError {
  return new StewardError('TENANT_NOT_FOUND', `tenant ${id} does not exist (create it with \`steward tenant create ${id}\`)`);
}

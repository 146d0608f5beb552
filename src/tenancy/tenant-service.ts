// Tenant lifecycle across its three homes: the Postgres registry and partitions, the Temporal namespace (with the
// tenant's retention schedule), and its PII subject keys in Vault.
// Every step is idempotent, so running a half-finished create or delete again completes it.
import type { Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { destroyTenantSubjectKeys } from '../codec/pii-vault/pii-subject-keys';
import type { SubjectKeyVaults } from '../codec/pii-vault/subject-key-vault';
import type { StewardEnv } from '../config/env';
import { StewardError } from '../errors';
import { ensureRetentionSchedule, RETENTION_WORKFLOW_TYPE } from '../retention/retention-schedule';
import { countOpenRuns, deleteNamespace, ensureNamespace } from '../temporal/namespaces';
import { namespaceForTenant, type TenantId } from './tenant-id';
import { dropTenantData, findTenant, tenantNotFound, upsertTenantWithPartitions, type Tenant } from './tenant-registry';

export interface TenantServiceDeps {
  admin: Pool;
  connection: Connection;
  env: StewardEnv;
}

export async function createTenant(deps: TenantServiceDeps, id: TenantId, options: { displayName?: string } = {}): Promise<{ tenant: Tenant; namespace: 'created' | 'exists' }> {
  const namespaceName = namespaceForTenant(id, deps.env.STEWARD_NAMESPACE_PREFIX);
  const tenant = await upsertTenantWithPartitions(deps.admin, id, options.displayName ?? id, namespaceName);
  const namespace = await ensureNamespace(deps.connection, namespaceName, deps.env.STEWARD_NAMESPACE_RETENTION_DAYS);
  await ensureRetentionSchedule(deps.connection, namespaceName, deps.env.STEWARD_RETENTION_INTERVAL_MS);
  return { tenant, namespace };
}

export interface DeletedTenant {
  tenant: TenantId;
  partitions: string[];
  namespace: string;
  namespaceDeleted: boolean;
  openRunsEnded: number;
  /** PII subject keys destroyed in Vault: the tenant's entries in any earlier backup stay sealed for good. */
  subjectKeysDestroyed: number;
}

/** Refuses while runs are open unless forced; then removes the tenant's data and its namespace (and its runs). */
export async function deleteTenant(deps: TenantServiceDeps & { subjectKeys: SubjectKeyVaults }, id: TenantId, options: { force?: boolean } = {}): Promise<DeletedTenant> {
  const tenant = await findTenant(deps.admin, id);
  if (!tenant) throw tenantNotFound(id);
  // the retention schedule's own housekeeping run is no run of the tenant's
  const openRuns = await countOpenRuns(deps.connection, tenant.namespace, [RETENTION_WORKFLOW_TYPE]).catch(() => 0);
  if (openRuns > 0 && !options.force) {
    throw new StewardError('TENANT_HAS_OPEN_RUNS', `tenant ${id} has ${openRuns} open run(s): finish or cancel them, or delete with --force`);
  }
  // Keys first: the table that names them goes with the partitions.
  const subjectKeysDestroyed = await destroyTenantSubjectKeys(deps.admin, deps.subjectKeys.forTenant(id));
  const partitions = await dropTenantData(deps.admin, id);
  const namespaceDeleted = await deleteNamespace(deps.connection, tenant.namespace);
  return { tenant: id, partitions, namespace: tenant.namespace, namespaceDeleted, openRunsEnded: openRuns, subjectKeysDestroyed };
}

// `steward tenant`: create, list, suspend, resume and delete tenants (registry, partitions, namespace).
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createPool } from '../../db/pool';
import { loadConnectionOptions } from '../../temporal/connection';
import { assertTenantId } from '../../tenancy/tenant-id';
import { listTenants, setTenantStatus } from '../../tenancy/tenant-registry';
import { createTenant, deleteTenant, type TenantServiceDeps } from '../../tenancy/tenant-service';

async function withTenantService<T>(work: (deps: TenantServiceDeps) => Promise<T>): Promise<T> {
  const config = loadRuntimeConfig();
  const admin = createPool(config.databaseUrl, { max: 2 });
  try {
    const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
    try {
      return await work({ admin, connection, env: config.env });
    } finally {
      await connection.close();
    }
  } finally {
    await admin.end();
  }
}

const print = (json: boolean | undefined, value: unknown, text: string) =>
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text + '\n');

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('manage tenants: each has its own namespace and partitions');

  tenant
    .command('create')
    .argument('<id>', 'tenant id: a lowercase slug')
    .option('--name <display name>', 'display name')
    .option('--json', 'print JSON')
    .description('register a tenant, create its partitions and its Temporal namespace (idempotent)')
    .action(async (id: string, options: { name?: string; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const created = await withTenantService((deps) => createTenant(deps, tenantId, { displayName: options.name }));
      print(options.json, { id: tenantId, namespace: created.tenant.namespace, status: created.tenant.status },
        `tenant ${tenantId}: ${created.tenant.status}, namespace ${created.tenant.namespace} (${created.namespace})`);
    });

  tenant
    .command('list')
    .option('--json', 'print JSON')
    .description('list tenants')
    .action(async (options: { json?: boolean }) => {
      const config = loadRuntimeConfig();
      const pool = createPool(config.databaseUrl, { max: 1 });
      const tenants = await listTenants(pool).finally(() => pool.end());
      const rows = tenants.map((t) => ({ id: t.id, name: t.displayName, status: t.status, namespace: t.namespace }));
      print(options.json, rows, rows.map((t) => `${t.id}\t${t.status}\t${t.namespace}\t${t.name}`).join('\n'));
    });

  for (const [verb, status] of [['suspend', 'suspended'], ['resume', 'active']] as const) {
    tenant
      .command(verb)
      .argument('<id>', 'tenant id')
      .description(verb === 'suspend' ? 'stop the tenant from starting runs (running ones continue)' : 'let the tenant start runs again')
      .action(async (id: string) => {
        const config = loadRuntimeConfig();
        const admin = createPool(config.databaseUrl, { max: 1 });
        const updated = await setTenantStatus(admin, assertTenantId(id), status).finally(() => admin.end());
        process.stdout.write(`tenant ${updated.id}: ${updated.status}\n`);
      });
  }

  tenant
    .command('delete')
    .argument('<id>', 'tenant id')
    .option('--force', 'delete even while runs are open (they end with the namespace)')
    .option('--json', 'print JSON')
    .description("drop the tenant's partitions and its namespace, and mark it deleted")
    .action(async (id: string, options: { force?: boolean; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const deleted = await withTenantService((deps) => deleteTenant(deps, tenantId, { force: options.force }));
      print(options.json, deleted, [
        `tenant ${tenantId} deleted`,
        `  partitions dropped: ${deleted.partitions.join(', ') || 'none'}`,
        `  namespace ${deleted.namespace}: ${deleted.namespaceDeleted ? 'deleted' : 'already gone'}`,
        `  open runs ended: ${deleted.openRunsEnded}`,
      ].join('\n'));
    });
}

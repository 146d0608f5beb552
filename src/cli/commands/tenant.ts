// `steward tenant`: create, list, suspend, resume and delete tenants (registry, partitions, namespace).
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { subjectKeyVaultsFor } from '../../codec/pii-vault/subject-key-vault';
import { createPool } from '../../db/pool';
import { loadTenantEgressAllow, setTenantEgressAllow } from '../../egress/tenant-egress';
import { readTenantRetentionSettings, setTenantRetention, type RetainedKind } from '../../retention/tenant-retention';
import type { RuntimeConfig } from '../../config/runtime';
import { readTenantDailyBudget, readTenantPriceTable, setTenantDailyBudget, setTenantPrice, sumTenantUsageForDay } from '../../llm/ledger';
import { microUsdToUsd, usdToMicroUsd } from '../../llm/prices';
import { loadConnectionOptions } from '../../temporal/connection';
import { assertTenantId, type TenantId } from '../../tenancy/tenant-id';
import { findTenant, listTenants, setTenantStatus, tenantNotFound } from '../../tenancy/tenant-registry';
import { loadTenantPhoneRegions, setTenantPhoneRegions } from '../../tenancy/tenant-phone-regions';
import { createTenant, deleteTenant, type TenantServiceDeps } from '../../tenancy/tenant-service';
import { UsageError } from '../errors';

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

/**
 * What an environment adds when a tenant is created: the local stack seeds it like its demo tenants. Answers
 * whether it did anything, for the command's output.
 */
export type TenantCreatedHook = (tenant: TenantId, config: RuntimeConfig) => Promise<boolean>;

export function registerTenantCommands(program: Command, onCreated?: TenantCreatedHook): void {
  const tenant = program.command('tenant').description('manage tenants: each has its own namespace and partitions');

  tenant
    .command('create')
    .argument('<id>', 'tenant id: a lowercase slug')
    .option('--name <display name>', 'display name')
    .option('--json', 'print JSON')
    .description('register a tenant, create its partitions and its Temporal namespace (idempotent)')
    .action(async (id: string, options: { name?: string; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const config = loadRuntimeConfig();
      const created = await withTenantService((deps) => createTenant(deps, tenantId, { displayName: options.name }));
      const seeded = onCreated !== undefined && (await onCreated(tenantId, config));
      print(options.json, { id: tenantId, namespace: created.tenant.namespace, status: created.tenant.status, local_stack_seeded: seeded },
        `tenant ${tenantId}: ${created.tenant.status}, namespace ${created.tenant.namespace} (${created.namespace})` +
          (seeded ? '; demo secrets seeded in the local stack\'s Vault' : ''));
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
    .command('egress')
    .argument('<id>', 'tenant id')
    .option('--allow <entries>', "comma-separated addresses or networks the tenant's tool calls may reach beyond public ones (127.0.0.1:4030, 10.0.0.0/8, [::1]:8080); '' allows none")
    .option('--json', 'print JSON')
    .description("set or show the tenant's egress policy for tool calls (Steward's own services and cloud metadata are always refused)")
    .action(async (id: string, options: { allow?: string; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const config = loadRuntimeConfig();
      const admin = createPool(config.databaseUrl, { max: 1 });
      try {
        if (!(await findTenant(admin, tenantId))) throw tenantNotFound(tenantId);
        if (options.allow !== undefined) await setTenantEgressAllow(admin, tenantId, options.allow.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''));
        const allow = await loadTenantEgressAllow(admin, tenantId);
        print(options.json, { id: tenantId, egress: { allow } }, `tenant ${tenantId}: egress.allow ${allow.length === 0 ? '(none: public addresses only)' : allow.join(', ')}`);
      } finally {
        await admin.end();
      }
    });

  tenant
    .command('retention')
    .argument('<id>', 'tenant id')
    .option('--audit-events <duration>', "how long audit entries are kept (e.g. 90d; at least 1m); '' goes back to the definitions' retention_days")
    .option('--llm-ledger <duration>', "how long LLM ledger rows are kept; '' goes back to the definitions' retention_days")
    .option('--json', 'print JSON')
    .description("set or show how long the tenant's retention schedule keeps audit entries and ledger rows (unset: the longest retention_days of its definitions)")
    .action(async (id: string, options: { auditEvents?: string; llmLedger?: string; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const config = loadRuntimeConfig();
      const admin = createPool(config.databaseUrl, { max: 1 });
      try {
        if (!(await findTenant(admin, tenantId))) throw tenantNotFound(tenantId);
        // '' removes a kind's own retention, so it follows the definitions again.
        const changes: Partial<Record<RetainedKind, string | null>> = {};
        if (options.auditEvents !== undefined) changes.audit_events = options.auditEvents || null;
        if (options.llmLedger !== undefined) changes.llm_ledger = options.llmLedger || null;
        if (Object.keys(changes).length > 0) await setTenantRetention(admin, tenantId, changes);
        const retention = await readTenantRetentionSettings(admin, tenantId);
        const shown = (kind: RetainedKind) => `${kind} ${retention[kind] ?? "(the definitions' retention_days)"}`;
        print(options.json, { id: tenantId, retention }, `tenant ${tenantId}: retention ${shown('audit_events')}, ${shown('llm_ledger')}`);
      } finally {
        await admin.end();
      }
    });

  tenant
    .command('phone-regions')
    .argument('<id>', 'tenant id')
    .option('--set <regions>', 'comma-separated regions (ISO 3166 codes with a numbering plan: GB,IE,FR) whose national phone numbers are recognised in every definition that names none of its own')
    .option('--clear', "remove the tenant's regions (the wide default applies again)")
    .option('--json', 'print JSON')
    .description("set or show the tenant's default phone regions for PII detection (a definition's data_policy.phone_regions wins)")
    .action(async (id: string, options: { set?: string; clear?: boolean; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      if (options.set !== undefined && options.clear) throw new UsageError('--set and --clear: give one or the other');
      const config = loadRuntimeConfig();
      const admin = createPool(config.databaseUrl, { max: 1 });
      try {
        if (!(await findTenant(admin, tenantId))) throw tenantNotFound(tenantId);
        if (options.set !== undefined || options.clear) {
          const regions = options.clear ? undefined : options.set!.split(',').map((region) => region.trim()).filter((region) => region !== '');
          await setTenantPhoneRegions(admin, tenantId, regions);
        }
        const regions = await loadTenantPhoneRegions(admin, tenantId);
        print(options.json, { id: tenantId, pii: { phone_regions: regions ?? null } },
          `tenant ${tenantId}: pii.phone_regions ${regions === undefined ? '(none: the wide default)' : regions.join(', ')}`);
      } finally {
        await admin.end();
      }
    });

  tenant
    .command('budget')
    .argument('<id>', 'tenant id')
    .option('--daily-usd <amount>', 'daily LLM budget in USD per UTC day (0 stops every LLM step)')
    .option('--clear', 'remove the daily budget')
    .option('--json', 'print JSON')
    .description("set or show the tenant's daily LLM budget and what its LLM steps have spent today")
    .action(async (id: string, options: { dailyUsd?: string; clear?: boolean; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      if (options.dailyUsd !== undefined && options.clear) throw new UsageError('--daily-usd and --clear: give one or the other');
      const budget = options.clear ? null : options.dailyUsd === undefined ? undefined : parseDailyUsd(options.dailyUsd);
      const config = loadRuntimeConfig();
      const admin = createPool(config.databaseUrl, { max: 1 });
      try {
        if (budget !== undefined && !(await setTenantDailyBudget(admin, tenantId, budget))) throw tenantNotFound(tenantId);
        if (budget === undefined && !(await findTenant(admin, tenantId))) throw tenantNotFound(tenantId);
        const current = await readTenantDailyBudget(admin, tenantId);
        const today = await sumTenantUsageForDay(admin, tenantId);
        const dailyUsd = current === null ? null : microUsdToUsd(current);
        const spentUsd = microUsdToUsd(today.costMicroUsd);
        print(options.json, { id: tenantId, daily_usd: dailyUsd, spent_today_usd: spentUsd, calls_today: today.calls },
          `tenant ${tenantId}: daily LLM budget ${dailyUsd === null ? 'none' : `${dailyUsd} USD`}; spent today (UTC) ${spentUsd} USD in ${today.calls} calls`);
      } finally {
        await admin.end();
      }
    });

  tenant
    .command('price')
    .argument('<id>', 'tenant id')
    .argument('[model]', 'model name, as the node names it (a dated snapshot is priced as its base); * prices every other model')
    .option('--input-usd-per-1m <usd>', 'price of 1M prompt tokens in USD')
    .option('--output-usd-per-1m <usd>', 'price of 1M completion tokens in USD')
    .option('--remove', "remove the tenant's own price for the model (the built-in one, if any, applies again)")
    .option('--json', 'print JSON')
    .description("set, remove or list the tenant's own model prices (over the built-in list); a model without a price cannot be called")
    .action(async (id: string, model: string | undefined, options: { inputUsdPer1m?: string; outputUsdPer1m?: string; remove?: boolean; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const setting = options.inputUsdPer1m !== undefined || options.outputUsdPer1m !== undefined;
      if ((setting || options.remove) && model === undefined) throw new UsageError('name the model whose price to set or remove');
      if (setting && options.remove) throw new UsageError('--remove and a price: give one or the other');
      if (setting && (options.inputUsdPer1m === undefined || options.outputUsdPer1m === undefined)) {
        throw new UsageError('give both --input-usd-per-1m and --output-usd-per-1m');
      }
      const config = loadRuntimeConfig();
      const admin = createPool(config.databaseUrl, { max: 1 });
      try {
        if (setting || options.remove) {
          const price = options.remove
            ? null
            : { input_usd_per_1m: parseUsd('--input-usd-per-1m', options.inputUsdPer1m!), output_usd_per_1m: parseUsd('--output-usd-per-1m', options.outputUsdPer1m!) };
          if (!(await setTenantPrice(admin, tenantId, model!, price))) throw tenantNotFound(tenantId);
        } else if (!(await findTenant(admin, tenantId))) throw tenantNotFound(tenantId);
        const { own } = await readTenantPriceTable(admin, tenantId);
        const lines = Object.entries(own).map(([name, price]) => `${name}\t${price.input_usd_per_1m}\t${price.output_usd_per_1m}`);
        print(options.json, { id: tenantId, prices: own }, [`tenant ${tenantId}: own model prices (USD per 1M input / output tokens)`, ...lines].join('\n'));
      } finally {
        await admin.end();
      }
    });

  tenant
    .command('delete')
    .argument('<id>', 'tenant id')
    .option('--force', 'delete even while runs are open (they end with the namespace)')
    .option('--json', 'print JSON')
    .description("drop the tenant's partitions and its namespace, and mark it deleted")
    .action(async (id: string, options: { force?: boolean; json?: boolean }) => {
      const tenantId = assertTenantId(id);
      const deleted = await withTenantService(async (deps) => {
        const subjectKeys = subjectKeyVaultsFor(loadRuntimeConfig());
        try {
          return await deleteTenant({ ...deps, subjectKeys }, tenantId, { force: options.force });
        } finally {
          subjectKeys.close();
        }
      });
      print(options.json, deleted, [
        `tenant ${tenantId} deleted`,
        `  partitions dropped: ${deleted.partitions.join(', ') || 'none'}`,
        `  namespace ${deleted.namespace}: ${deleted.namespaceDeleted ? 'deleted' : 'already gone'}`,
        `  open runs ended: ${deleted.openRunsEnded}`,
        `  PII subject keys destroyed: ${deleted.subjectKeysDestroyed}`,
      ].join('\n'));
    });
}

/** A USD amount: a plain non-negative decimal number with at most 6 decimal places (a micro-dollar). */
function parseUsd(flag: string, text: string): number {
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(text.trim())) {
    throw new UsageError(`${flag}: a non-negative amount in USD with at most 6 decimal places, e.g. 25 or 0.5 (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

function parseDailyUsd(text: string): number {
  return usdToMicroUsd(parseUsd('--daily-usd', text));
}

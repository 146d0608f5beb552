// The LLM columns of the tenant registry: the daily budget (`llm_daily_budget_micro_usd`) and the tenant's own model
// prices (`llm_prices`), stored as given. What they mean, and their validation, belong to the ledger (src/llm).
import type { Pool, PoolClient } from 'pg';
import { withTenant } from '../db/tenant-scope';
import type { TenantId } from './tenant-id';

/** The daily budget in micro-USD as Postgres returns a bigint (a string), or null when unset. */
export async function readDailyBudgetColumn(pool: Pool, tenant: TenantId): Promise<string | null> {
  return withTenant(pool, tenant, (db) => readDailyBudgetColumnIn(db, tenant));
}

/** The same, inside a transaction already bound to the tenant (a ledger reservation holding its lock). */
export async function readDailyBudgetColumnIn(db: PoolClient, tenant: TenantId): Promise<string | null> {
  const result = await db.query<{ budget: string | null }>('SELECT llm_daily_budget_micro_usd AS budget FROM tenants WHERE id = $1', [tenant]);
  return result.rows[0]?.budget ?? null;
}

/** Sets (or, with null, removes) the daily budget (operator connection); false when the tenant does not exist. */
export async function writeDailyBudgetColumn(admin: Pool, tenant: TenantId, microUsd: number | null): Promise<boolean> {
  const result = await admin.query(`UPDATE tenants SET llm_daily_budget_micro_usd = $2, updated_at = now() WHERE id = $1 AND status <> 'deleted'`, [tenant, microUsd]);
  return (result.rowCount ?? 0) > 0;
}

/** The tenant's own model prices as stored (an object keyed by model), or undefined for a tenant not found. */
export async function readModelPricesColumn(pool: Pool, tenant: TenantId): Promise<unknown> {
  const result = await withTenant(pool, tenant, (db) => db.query<{ prices: unknown }>('SELECT llm_prices AS prices FROM tenants WHERE id = $1', [tenant]));
  return result.rows[0]?.prices ?? undefined;
}

/** Replaces one model's price whole, or removes it with null (operator connection); false when the tenant does not exist. */
export async function writeModelPriceColumn(admin: Pool, tenant: TenantId, model: string, price: object | null): Promise<boolean> {
  const result = await admin.query(
    `UPDATE tenants SET llm_prices = CASE WHEN $3::jsonb IS NULL THEN llm_prices - $2 ELSE llm_prices || jsonb_build_object($2::text, $3::jsonb) END,
            updated_at = now()
     WHERE id = $1 AND status <> 'deleted'`,
    [tenant, model, price === null ? null : JSON.stringify(price)],
  );
  return (result.rowCount ?? 0) > 0;
}

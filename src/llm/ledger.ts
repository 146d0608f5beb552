// The LLM ledger in Postgres: the one module that reaches llm_ledger; tenants' daily budgets and prices it reaches
// through their owner, src/tenancy/tenant-llm-limits.ts. A call is reserved before it is made, under a per-tenant
// lock, with its worst-case cost, after checking that the run's caps and the tenant's daily budget hold what is
// spent, what calls still in flight may cost, and this call's worst case; so the caps hold even while calls run
// concurrently. It is then settled with its tokens and exact cost, or closed as `unanswered` (a timeout, a
// cancellation mid-request, a 5xx: the provider may have billed the work, so it keeps its estimate and counts as a
// call), or as `failed` (the provider never took the request: no call, no cost). A reservation never settled (a
// crashed worker) counts as a call at its estimate. A sub-workflow's calls count against its own caps and those of
// every run enclosing it: each row names its lineage from the root run down, and a run's caps sum every row of its
// root's tree whose lineage holds the run.
import type { Pool } from 'pg';
import { withTenant } from '../db/tenant-scope';
import { StewardError } from '../errors';
import type { TenantId } from '../tenancy/tenant-id';
import { readDailyBudgetColumn, readDailyBudgetColumnIn, readModelPricesColumn, writeDailyBudgetColumn, writeModelPriceColumn } from '../tenancy/tenant-llm-limits';
import { checkBudget, type BudgetLimits, type EnclosingRun } from './budget';
import { LlmError } from './errors';
import { PriceConfig, createPriceTable, microUsdToUsd, type MicroUsd, type ModelPrice, type PriceTable } from './prices';
import type { LlmProvider, Usage } from './types';

export interface LedgerCall {
  /** The run: its workflow id, stable across continue-as-new. */
  workflowId: string;
  /** The Temporal run of the chain that made the call. */
  runId: string;
  /** The definition acting. */
  agent: string;
  node: string;
  attempt?: number;
  provider: LlmProvider;
  model: string;
}

export interface Settlement {
  provider: LlmProvider;
  /** The model that answered. */
  model: string;
  usage: Usage;
  costMicroUsd: MicroUsd;
  promptHash: string;
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costMicroUsd: MicroUsd;
}

export interface BudgetRefusal {
  /** `enclosing run`: a run that started (directly or not) the run making the call; `workflowId` names it. */
  scope: 'run' | 'enclosing run' | 'tenant daily';
  workflowId?: string;
  limit: 'max_llm_calls' | 'max_cost_usd' | 'daily_budget_usd';
  message: string;
}

export class BudgetExceededError extends LlmError {
  constructor(readonly refusal: BudgetRefusal) {
    super('BUDGET_EXCEEDED', refusal.message, { retryable: false });
  }
}

// One lock per tenant: reservations are short, and one lock covers both the run's and the tenant's day.
const LOCK_NAMESPACE = 0x5743_0004;
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

/** Non-negative bigint sums arrive as strings; every real ledger total fits a safe integer. */
function toCount(value: unknown): number {
  const number = Number(value ?? 0);
  if (!Number.isSafeInteger(number) || number < 0) throw new StewardError('INTERNAL', 'a ledger total is out of range');
  return number;
}

/** What counts against one run's caps: calls made by it and by every run it encloses, settled or not. */
interface RunSpend {
  workflowId: string;
  limits: BudgetLimits;
  calls: number;
  /** Settled costs plus the estimates of calls not settled. */
  cost: MicroUsd;
}

function refusalOf(runs: readonly RunSpend[], dayCost: MicroUsd, estimate: MicroUsd, dailyBudget: MicroUsd | null): BudgetRefusal | undefined {
  // The calling run's own caps first (its message names no other run), then the enclosing runs', innermost first.
  for (const [index, run] of [...runs].reverse().entries()) {
    const enclosing = index > 0;
    const label = enclosing ? `enclosing run ${run.workflowId}` : 'run';
    const decision = checkBudget({ callsSoFar: run.calls, costSoFarMicroUsd: run.cost, estimatedCostMicroUsd: estimate, limits: run.limits, scope: label });
    if (!decision.allowed) {
      return { scope: enclosing ? 'enclosing run' : 'run', ...(enclosing ? { workflowId: run.workflowId } : {}), limit: decision.limit, message: decision.message };
    }
  }
  if (dailyBudget === null) return undefined;
  const budget = `tenant daily budget (${microUsdToUsd(dailyBudget)} USD)`;
  if (dayCost >= dailyBudget) return { scope: 'tenant daily', limit: 'daily_budget_usd', message: `${budget} is used up for today (UTC)` };
  if (dayCost + estimate > dailyBudget) {
    return { scope: 'tenant daily', limit: 'daily_budget_usd', message: `${budget} would be exceeded today (UTC) by this call's worst-case cost` };
  }
  return undefined;
}

/**
 * Reserves one model call at its worst-case cost `estimate`, or throws BudgetExceededError (nothing reserved) when a
 * cap would be passed by what is spent, what calls in flight may still cost, and this estimate. `limits` are the
 * calling run's; `enclosing` the runs that started it, root first (empty for a run started on its own).
 */
export async function reserveLlmCall(
  pool: Pool,
  tenant: TenantId,
  call: LedgerCall,
  limits: BudgetLimits,
  estimate: MicroUsd,
  enclosing: readonly EnclosingRun[] = [],
): Promise<string> {
  if (!Number.isSafeInteger(estimate) || estimate < 0) throw new TypeError('estimate must be a non-negative integer of micro-USD');
  const lineage = [...enclosing.map((run) => run.workflowId), call.workflowId];
  if (new Set(lineage).size !== lineage.length) throw new TypeError('a run cannot enclose itself: the lineage repeats a workflow id');
  const root = lineage[0]!;
  return withTenant(pool, tenant, async (db) => {
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, tenant]);
    // Failed rows cost 0; reserved and unanswered rows cost their estimate; completed rows their exact cost.
    const perRun = await db.query<{ workflow_id: string; calls: string; cost: string }>(
      `SELECT scope.workflow_id, count(l.id) FILTER (WHERE l.status <> 'failed') AS calls, coalesce(sum(l.cost_micro_usd), 0) AS cost
       FROM unnest($3::text[]) AS scope(workflow_id)
       LEFT JOIN llm_ledger l ON l.tenant_id = $1 AND l.root_workflow_id = $2 AND scope.workflow_id = ANY(l.lineage)
       GROUP BY scope.workflow_id`,
      [tenant, root, lineage],
    );
    const day = await db.query<{ day_cost: string }>(`SELECT coalesce(sum(cost_micro_usd), 0) AS day_cost FROM llm_ledger WHERE tenant_id = $1 AND day = ${TODAY}`, [
      tenant,
    ]);
    const budget = await readDailyBudgetColumnIn(db, tenant);
    const dailyBudget = budget === null ? null : toCount(budget);
    const spent = new Map(perRun.rows.map((row) => [row.workflow_id, row]));
    const runs = [...enclosing, { workflowId: call.workflowId, limits }].map((run) => ({
      ...run,
      calls: toCount(spent.get(run.workflowId)?.calls),
      cost: toCount(spent.get(run.workflowId)?.cost),
    }));
    const refusal = refusalOf(runs, toCount(day.rows[0]?.day_cost), estimate, dailyBudget);
    if (refusal) throw new BudgetExceededError(refusal);
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO llm_ledger (tenant_id, workflow_id, run_id, agent_id, node_id, attempt, provider, model, cost_micro_usd, root_workflow_id, lineage)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [tenant, call.workflowId, call.runId, call.agent, call.node, call.attempt ?? null, call.provider, call.model, estimate, root, lineage],
    );
    return String(inserted.rows[0]!.id);
  });
}

/** Settles a call the provider answered: its estimate gives way to the exact cost of the tokens it reported. */
export async function settleLlmCall(pool: Pool, tenant: TenantId, id: string, settlement: Settlement): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(
      `UPDATE llm_ledger SET status = 'completed', provider = $3, model = $4, prompt_tokens = $5, completion_tokens = $6,
              cost_micro_usd = $7, prompt_hash = $8, settled_at = now()
       WHERE tenant_id = $1 AND id = $2`,
      [tenant, id, settlement.provider, settlement.model, settlement.usage.inputTokens, settlement.usage.outputTokens, settlement.costMicroUsd, settlement.promptHash],
    ),
  );
}

/** A call the provider may have worked on without answering: it keeps its estimate and counts as a call. */
export async function closeUnansweredLlmCall(pool: Pool, tenant: TenantId, id: string, promptHash: string): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(`UPDATE llm_ledger SET status = 'unanswered', prompt_hash = $3, settled_at = now() WHERE tenant_id = $1 AND id = $2`, [tenant, id, promptHash]),
  );
}

/** A call the provider never took (refused connection, 4xx): it no longer counts against the caps. */
export async function failLlmCall(pool: Pool, tenant: TenantId, id: string, promptHash: string): Promise<void> {
  await withTenant(pool, tenant, (db) =>
    db.query(`UPDATE llm_ledger SET status = 'failed', cost_micro_usd = 0, prompt_hash = $3, settled_at = now() WHERE tenant_id = $1 AND id = $2`, [
      tenant,
      id,
      promptHash,
    ]),
  );
}

// Calls not settled (reserved, unanswered) count at their estimate: what the provider may bill for them.
const TOTALS = `count(*) FILTER (WHERE status <> 'failed') AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
                coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(cost_micro_usd), 0) AS cost`;

type TotalsRow = { calls: string; prompt_tokens: string; completion_tokens: string; cost: string };

function toTotals(row: TotalsRow | undefined): UsageTotals {
  return {
    calls: toCount(row?.calls),
    promptTokens: toCount(row?.prompt_tokens),
    completionTokens: toCount(row?.completion_tokens),
    costMicroUsd: toCount(row?.cost),
  };
}

/** What one run has spent, across continue-as-new. */
export async function sumRunUsage(pool: Pool, tenant: TenantId, workflowId: string): Promise<UsageTotals> {
  return withTenant(pool, tenant, async (db) =>
    toTotals((await db.query<TotalsRow>(`SELECT ${TOTALS} FROM llm_ledger WHERE tenant_id = $1 AND workflow_id = $2`, [tenant, workflowId])).rows[0]),
  );
}

/** What one agent (definition id) has spent per UTC day, newest first. */
export async function sumAgentUsageByDay(pool: Pool, tenant: TenantId, agent: string, days = 30): Promise<Array<UsageTotals & { day: string }>> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query<TotalsRow & { day: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, ${TOTALS} FROM llm_ledger
       WHERE tenant_id = $1 AND agent_id = $2 AND day > ${TODAY} - $3::int GROUP BY day ORDER BY day DESC`,
      [tenant, agent, days],
    );
    return result.rows.map((row) => ({ day: row.day, ...toTotals(row) }));
  });
}

/** What the tenant has spent on one UTC day (today by default). */
export async function sumTenantUsageForDay(pool: Pool, tenant: TenantId, day?: string): Promise<UsageTotals> {
  return withTenant(pool, tenant, async (db) =>
    toTotals(
      (await db.query<TotalsRow>(`SELECT ${TOTALS} FROM llm_ledger WHERE tenant_id = $1 AND day = coalesce($2::date, ${TODAY})`, [tenant, day ?? null]))
        .rows[0],
    ),
  );
}

/**
 * Deletes the tenant's ledger rows reserved before `olderThan` (run by its retention schedule); returns how many.
 * A row still reserved that long is a call that never settled, so it goes too.
 */
export async function purgeLedgerRowsBefore(pool: Pool, tenant: TenantId, olderThan: Date): Promise<number> {
  return withTenant(pool, tenant, async (db) => (await db.query('DELETE FROM llm_ledger WHERE created_at < $1', [olderThan])).rowCount ?? 0);
}

export interface LedgerEntry {
  id: string;
  node: string;
  provider: LlmProvider;
  model: string;
  status: 'reserved' | 'completed' | 'unanswered' | 'failed';
  promptTokens: number;
  completionTokens: number;
  /** The exact cost once completed; the worst-case estimate while reserved or when unanswered; 0 when failed. */
  costMicroUsd: MicroUsd;
  promptHash: string | null;
  /** When the call was reserved (made). */
  createdAt: Date;
}

/** The ledger rows of one run, in the order the calls were reserved. */
export async function listRunLedger(pool: Pool, tenant: TenantId, workflowId: string): Promise<LedgerEntry[]> {
  return withTenant(pool, tenant, async (db) => {
    const result = await db.query(
      `SELECT id, node_id, provider, model, status, prompt_tokens, completion_tokens, cost_micro_usd, prompt_hash, created_at
       FROM llm_ledger WHERE tenant_id = $1 AND workflow_id = $2 ORDER BY id`,
      [tenant, workflowId],
    );
    return result.rows.map((row) => ({
      id: String(row.id),
      node: row.node_id,
      provider: row.provider,
      model: row.model,
      status: row.status,
      promptTokens: toCount(row.prompt_tokens),
      completionTokens: toCount(row.completion_tokens),
      costMicroUsd: toCount(row.cost_micro_usd),
      promptHash: row.prompt_hash,
      createdAt: row.created_at,
    }));
  });
}

/** Sets (or, with null, removes) a tenant's daily LLM budget. Runs on the operator's connection. */
export async function setTenantDailyBudget(admin: Pool, tenant: TenantId, microUsd: MicroUsd | null): Promise<boolean> {
  return writeDailyBudgetColumn(admin, tenant, microUsd);
}

/** The tenant's own model prices over the built-in list; a model's price is replaced whole, or removed with null. */
export async function setTenantPrice(admin: Pool, tenant: TenantId, model: string, price: ModelPrice | null): Promise<boolean> {
  if (price !== null) createPriceTable({ [model]: price }, { withDefaults: false });
  return writeModelPriceColumn(admin, tenant, model, price);
}

/** The price table of the tenant's calls: the built-in prices, overridden and extended by the tenant's own. */
export async function readTenantPriceTable(pool: Pool, tenant: TenantId): Promise<{ table: PriceTable; own: PriceConfig }> {
  // Bound to the tenant: the application role sees its own tenant's row of the registry and no other.
  const own = PriceConfig.safeParse((await readModelPricesColumn(pool, tenant)) ?? {});
  if (!own.success) throw new StewardError('CONFIG_INVALID', `tenant ${tenant}: its stored model prices are invalid; set them again with steward tenant price`);
  return { table: createPriceTable(own.data), own: own.data };
}

export async function readTenantDailyBudget(pool: Pool, tenant: TenantId): Promise<MicroUsd | null> {
  const budget = await readDailyBudgetColumn(pool, tenant);
  return budget === null ? null : toCount(budget);
}

// Model prices and the exact cost of a call. Prices are USD per 1M tokens in configuration and integer micro-USD per
// 1M tokens inside; a call's cost is rounded up to a whole micro-dollar once, so ledgers sum integers without drift
// and never under-count. Pure: safe in workflows.
import { z } from 'zod';
import { StewardError } from '../errors';
import type { Usage } from './types';
import { formatZodIssues } from '../common/zod-issues';

/** Integer micro-dollars (1 USD = 1_000_000). */
export type MicroUsd = number;

export const ModelPrice = z.strictObject({
  input_usd_per_1m: z.number().min(0).max(10_000),
  output_usd_per_1m: z.number().min(0).max(10_000),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

export const PriceConfig = z.record(z.string().min(1), ModelPrice);
export type PriceConfig = z.infer<typeof PriceConfig>;

export interface PriceTable {
  /** Micro-USD per 1M tokens, by model name; `*` prices models not listed. */
  readonly entries: ReadonlyMap<string, { input: number; output: number }>;
}

/** List prices at the time of writing (USD per 1M tokens); tenants override them with their own contracts. */
export const DEFAULT_PRICES: PriceConfig = {
  'gpt-4o': { input_usd_per_1m: 2.5, output_usd_per_1m: 10 },
  'gpt-4o-mini': { input_usd_per_1m: 0.15, output_usd_per_1m: 0.6 },
  'gpt-4.1': { input_usd_per_1m: 2, output_usd_per_1m: 8 },
  'gpt-4.1-mini': { input_usd_per_1m: 0.4, output_usd_per_1m: 1.6 },
  'gpt-4.1-nano': { input_usd_per_1m: 0.1, output_usd_per_1m: 0.4 },
  'o3-mini': { input_usd_per_1m: 1.1, output_usd_per_1m: 4.4 },
  'o4-mini': { input_usd_per_1m: 1.1, output_usd_per_1m: 4.4 },
  'claude-3-5-haiku': { input_usd_per_1m: 0.8, output_usd_per_1m: 4 },
  'claude-haiku-4-5': { input_usd_per_1m: 1, output_usd_per_1m: 5 },
  'claude-3-7-sonnet': { input_usd_per_1m: 3, output_usd_per_1m: 15 },
  'claude-sonnet-4': { input_usd_per_1m: 3, output_usd_per_1m: 15 },
  'claude-sonnet-4-5': { input_usd_per_1m: 3, output_usd_per_1m: 15 },
  'claude-opus-4-1': { input_usd_per_1m: 15, output_usd_per_1m: 75 },
  'claude-opus-4-5': { input_usd_per_1m: 5, output_usd_per_1m: 25 },
  // The dev stack's model server: not free, so local runs exercise cost accounting and caps.
  'steward-local': { input_usd_per_1m: 1, output_usd_per_1m: 2 },
};

const MICRO = 1_000_000;

function toMicro(usd: number, where: string): number {
  const micro = Math.round(usd * MICRO);
  if (Math.abs(micro - usd * MICRO) > 1e-6) {
    throw new StewardError('CONFIG_INVALID', `prices.${where}: at most 6 decimal places (a micro-dollar per 1M tokens)`);
  }
  return micro;
}

/** Validates a price configuration; by default it extends (and overrides) DEFAULT_PRICES. */
export function createPriceTable(config: unknown = {}, options: { withDefaults?: boolean } = {}): PriceTable {
  const parsed = PriceConfig.safeParse(config);
  if (!parsed.success) {
    throw new StewardError('CONFIG_INVALID', `invalid price table: ${formatZodIssues(parsed.error, { prefix: 'prices' })}`);
  }
  const merged = { ...(options.withDefaults === false ? {} : DEFAULT_PRICES), ...parsed.data };
  const entries = new Map<string, { input: number; output: number }>();
  for (const [model, price] of Object.entries(merged)) {
    entries.set(model, { input: toMicro(price.input_usd_per_1m, `${model}.input_usd_per_1m`), output: toMicro(price.output_usd_per_1m, `${model}.output_usd_per_1m`) });
  }
  return { entries };
}

export const DEFAULT_PRICE_TABLE: PriceTable = createPriceTable();

/** The price of `model`: an exact entry, else the longest entry it extends with a `-suffix` (dated snapshots), else `*`. */
export function findPrice(model: string, table: PriceTable = DEFAULT_PRICE_TABLE): { input: number; output: number } | undefined {
  const exact = table.entries.get(model);
  if (exact) return exact;
  let best: string | undefined;
  for (const name of table.entries.keys()) {
    if (model.startsWith(`${name}-`) && (best === undefined || name.length > best.length)) best = name;
  }
  return table.entries.get(best ?? '*');
}

/** Exact cost of one call in micro-USD, rounded up once. Throws CONFIG_INVALID for a model without a price. */
export function costOf(usage: Usage, model: string, table: PriceTable = DEFAULT_PRICE_TABLE): MicroUsd {
  const price = findPrice(model, table);
  if (!price) throw new StewardError('CONFIG_INVALID', `no price for model ${JSON.stringify(model)}: add it to the price table`);
  if (!Number.isSafeInteger(usage.inputTokens) || !Number.isSafeInteger(usage.outputTokens) || usage.inputTokens < 0 || usage.outputTokens < 0) {
    throw new TypeError('usage token counts must be non-negative integers');
  }
  // BigInt keeps tokens × price exact however large; the quotient fits a safe integer for any real bill.
  const scaled = BigInt(usage.inputTokens) * BigInt(price.input) + BigInt(usage.outputTokens) * BigInt(price.output);
  const divisor = BigInt(MICRO);
  return Number((scaled + divisor - 1n) / divisor);
}

export function usdToMicroUsd(usd: number): MicroUsd {
  return Math.round(usd * MICRO);
}

export function microUsdToUsd(micro: MicroUsd): number {
  return micro / MICRO;
}

// Cost and budget: exact integer micro-dollar costs, caps refused before the call, and prompt hashes for audit.
import { createHash } from 'node:crypto';
import {
  assertWithinBudget,
  callModel,
  checkBudget,
  costOf,
  createPriceTable,
  hashPrompt,
  isLlmError,
  microUsdToUsd,
  runToolLoop,
  type ModelRequest,
  type ModelResponse,
} from '../../src/llm';
import { toCanonicalJson } from '../../src/common/canonical-json';
import { isStewardError } from '../../src/errors';
import { derivePiiHmacKey, parseMasterKey } from '../../src/tenancy/pii-keys';
import { assertTenantId } from '../../src/tenancy/tenant-id';
import { PROVIDERS, useModelServer, userPrompt } from '../support/model-server';

const fixture = useModelServer();

describe('costOf', () => {
  it('prices a call exactly in integer micro-dollars', () => {
    // gpt-4o-mini: $0.15 / $0.60 per 1M tokens → 1000 × 0.15 + 500 × 0.60 = 450 micro-dollars.
    expect(costOf({ inputTokens: 1_000, outputTokens: 500 }, 'gpt-4o-mini')).toBe(450);
    expect(costOf({ inputTokens: 0, outputTokens: 0 }, 'gpt-4o')).toBe(0);
  });

  it('rounds a fraction of a micro-dollar up, once per call', () => {
    expect(costOf({ inputTokens: 1, outputTokens: 0 }, 'gpt-4o-mini')).toBe(1);
    expect(costOf({ inputTokens: 7, outputTokens: 3 }, 'gpt-4o-mini')).toBe(3); // 1.05 + 1.8 = 2.85 → 3
  });

  it('adds up exactly where float dollars drift', () => {
    const perCall = costOf({ inputTokens: 40_000, outputTokens: 0 }, 'gpt-4o'); // $0.10
    const ledger = [perCall, perCall, perCall].reduce((sum, cost) => sum + cost, 0);
    expect(0.1 + 0.1 + 0.1).not.toBe(0.3);
    expect(microUsdToUsd(ledger)).toBe(0.3);
  });

  it('prices dated snapshots by their base model, and a configured `*` catches the rest', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, 'gpt-4o-mini-2024-07-18')).toBe(150_000);
    const table = createPriceTable({ '*': { input_usd_per_1m: 9, output_usd_per_1m: 9 } });
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, 'llama3.1:8b', table)).toBe(9_000_000);
  });

  it('refuses a model without a price rather than counting it as free', () => {
    expect(() => costOf({ inputTokens: 1, outputTokens: 1 }, 'mystery-model')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('validates price configuration, naming the field', () => {
    const tooFine = () => createPriceTable({ custom: { input_usd_per_1m: 0.0000001, output_usd_per_1m: 1 } });
    expect(tooFine).toThrow(/prices\.custom\.input_usd_per_1m/);
    const negative = () => createPriceTable({ custom: { input_usd_per_1m: -1, output_usd_per_1m: 1 } });
    expect(negative).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('checkBudget', () => {
  it('allows N calls and refuses the next one, before it is made', () => {
    const limits = { max_llm_calls: 3 };
    expect([0, 1, 2, 3].map((callsSoFar) => checkBudget({ callsSoFar, costSoFarMicroUsd: 0, limits }).allowed)).toEqual([true, true, true, false]);
    expect(checkBudget({ callsSoFar: 3, costSoFarMicroUsd: 0, limits })).toMatchObject({ limit: 'max_llm_calls' });
  });

  it('refuses once the cost cap is reached, or when an estimate would pass it', () => {
    const limits = { max_cost_usd: 0.001 }; // 1000 micro-dollars
    expect(checkBudget({ callsSoFar: 0, costSoFarMicroUsd: 999, limits }).allowed).toBe(true);
    expect(checkBudget({ callsSoFar: 0, costSoFarMicroUsd: 1_000, limits })).toMatchObject({ allowed: false, limit: 'max_cost_usd' });
    expect(checkBudget({ callsSoFar: 0, costSoFarMicroUsd: 900, estimatedCostMicroUsd: 101, limits }).allowed).toBe(false);
  });

  it('names the scope and throws a non-retryable BUDGET_EXCEEDED', () => {
    const check = { callsSoFar: 0, costSoFarMicroUsd: 5_000_000, limits: { max_cost_usd: 5 }, scope: 'tenant daily' };
    expect(() => assertWithinBudget(check)).toThrow('tenant daily budget: max_cost_usd (5) would be exceeded');
    try {
      assertWithinBudget(check);
    } catch (error) {
      expect(isLlmError(error, 'BUDGET_EXCEEDED') && error.retryable).toBe(false);
    }
  });
});

describe.each(PROVIDERS)('a budgeted run over %s', (provider) => {
  /** What an activity does around each call: refuse before, then add the call's exact cost to the ledger. */
  function createBudgetedCall(limits: { max_llm_calls?: number; max_cost_usd?: number }) {
    const ledger = { calls: 0, costMicroUsd: 0, costs: [] as number[] };
    const call = async (request: ModelRequest): Promise<ModelResponse> => {
      assertWithinBudget({ callsSoFar: ledger.calls, costSoFarMicroUsd: ledger.costMicroUsd, limits });
      const response = await callModel(request, fixture.options(provider));
      const cost = costOf(response.usage, response.model);
      ledger.calls += 1;
      ledger.costMicroUsd += cost;
      ledger.costs.push(cost);
      return response;
    };
    return { ledger, call };
  }

  it('a run capped at N calls stops at N: the next call never reaches the provider', async () => {
    const { ledger, call } = createBudgetedCall({ max_llm_calls: 2 });
    await call(userPrompt('one'));
    await call(userPrompt('two'));
    const error = await call(userPrompt('three')).catch((reason: unknown) => reason);
    expect(isLlmError(error, 'BUDGET_EXCEEDED')).toBe(true);
    expect(ledger.calls).toBe(2);
    expect(await fixture.recorded()).toHaveLength(2);
  });

  it('a tool loop under a call cap ends with BUDGET_EXCEEDED after exactly the allowed calls', async () => {
    const { call } = createBudgetedCall({ max_llm_calls: 2 });
    const tools = [{ name: 'poll_status', parameters: { type: 'object' } }];
    const error = await runToolLoop({ request: userPrompt('keep polling !loop=poll_status', { tools }), call, executeTool: async () => 'pending', maxIterations: 10 }).catch(
      (reason: unknown) => reason,
    );
    expect(isStewardError(error, 'BUDGET_EXCEEDED')).toBe(true);
    expect(await fixture.recorded()).toHaveLength(2);
  });

  it('costs in the ledger are exactly the sum of each call priced from the usage the server reported', async () => {
    const { ledger, call } = createBudgetedCall({ max_cost_usd: 1 });
    for (const prompt of ['alpha', 'a somewhat longer prompt for more tokens', 'gamma']) await call(userPrompt(prompt));
    const recorded = await fixture.recorded();
    expect(recorded).toHaveLength(3);
    // steward-local costs $1 / $2 per 1M tokens: each call is a whole number of micro-dollars, summed without drift.
    expect(ledger.costs.every(Number.isInteger)).toBe(true);
    expect(ledger.costMicroUsd).toBe(ledger.costs[0]! + ledger.costs[1]! + ledger.costs[2]!);
    expect(microUsdToUsd(ledger.costMicroUsd) * 1_000_000).toBeCloseTo(ledger.costMicroUsd, 9);
  });

  it('a cost cap refuses the call after the one that reached it', async () => {
    const { ledger, call } = createBudgetedCall({ max_cost_usd: 0.00002 }); // 20 micro-dollars
    const outcomes: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      outcomes.push(await call(userPrompt(`call ${index}`)).then(() => 'ok', (error: { code: string }) => error.code));
      if (outcomes.at(-1) !== 'ok') break;
    }
    expect(outcomes.at(-1)).toBe('BUDGET_EXCEEDED');
    expect(ledger.costMicroUsd).toBeGreaterThanOrEqual(20);
    expect(await fixture.recorded()).toHaveLength(ledger.calls);
  });
});

describe('hashPrompt', () => {
  const request = userPrompt('Classify: taxi', { system: 'be brief', temperature: 0 });
  const acmeKey = derivePiiHmacKey(parseMasterKey('11'.repeat(32)), assertTenantId('acme'));
  const globexKey = derivePiiHmacKey(parseMasterKey('11'.repeat(32)), assertTenantId('globex'));

  it('is an HMAC over what the model was sent, independent of key order and of sampling settings', () => {
    const reordered = { temperature: 0, system: 'be brief', messages: [{ content: 'Classify: taxi', role: 'user' as const }], model: 'steward-local' };
    expect(hashPrompt(request, acmeKey)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(hashPrompt(reordered, acmeKey)).toBe(hashPrompt(request, acmeKey));
  });

  it('changes with the prompt, the model or the provider', () => {
    const hash = hashPrompt(request, acmeKey);
    expect(hashPrompt({ ...request, messages: [{ role: 'user', content: 'Classify: hotel' }] }, acmeKey)).not.toBe(hash);
    expect(hashPrompt({ ...request, model: 'gpt-4o' }, acmeKey)).not.toBe(hash);
    expect(hashPrompt(request, acmeKey, 'anthropic')).not.toBe(hashPrompt(request, acmeKey, 'openai'));
  });

  it('cannot be recomputed without the tenant key: another tenant, or a bare sha256, gives another hash', () => {
    const bare = createHash('sha256').update(toCanonicalJson({ model: request.model, system: request.system, messages: request.messages })).digest('hex');
    expect(hashPrompt(request, acmeKey)).not.toBe(hashPrompt(request, globexKey));
    expect(hashPrompt(request, acmeKey)).not.toContain(bare);
    expect(() => hashPrompt(request, new Uint8Array(4))).toThrow(TypeError);
  });
});

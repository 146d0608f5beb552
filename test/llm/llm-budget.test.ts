// Caps and accounting in real runs: limits.max_llm_calls and limits.max_cost_usd are checked before each call with the
// call's worst-case cost reserved (so calls racing in parallel branches cannot overrun them), a tenant over its daily
// budget cannot start LLM steps, calls the provider may have billed without answering count, and the ledger's sums
// per run, per agent and per tenant per day add up exactly.
import { createServer } from 'node:net';
import { costOf, type LlmProvider } from '../../src/llm';
import { sumAgentUsageByDay, sumRunUsage, sumTenantUsageForDay } from '../../src/llm/ledger';
import { TASK_QUEUE } from '../../src/temporal/connection';
import { runCli } from '../support/cli';
import { useLlmRuns } from '../support/llm-run';

const runs = useLlmRuns('llm-budget');

function definition(id: string, provider: LlmProvider, ask: Record<string, unknown>, limits: Record<string, unknown> = {}) {
  return {
    id,
    version: 1,
    secrets: runs.secrets(),
    limits,
    start: 'ask',
    nodes: {
      ask: { ...runs.llmNode(provider, ask), on_error: 'failed', next: 'done' },
      ...(ask.tools ? { poll_status: { type: 'tool', tool: 'http', request: { method: 'GET', url: `${runs.target().url}/status` } } } : {}),
      done: { type: 'end', output: "{'answer': nodes.ask.output}" },
      failed: { type: 'end', output: "{'error': nodes.ask.error}" },
    },
  };
}

const POLLING = { prompt: 'Wait for it !loop=poll_status', tools: ['poll_status'], max_iterations: 20 };

type Outcome = { answer?: unknown; error?: { type: string; message: string } };

it('a run capped at N calls stops at N: the next call is refused before it reaches the provider, and routes to on_error', async () => {
  const run = await runs.start(definition('capped-calls', 'openai', POLLING, { max_llm_calls: 2 }));
  const { error } = (await run.result()) as Outcome;
  expect(error).toEqual({ type: 'BUDGET_EXCEEDED', message: 'nodes.ask: run budget: max_llm_calls (2) reached' });
  expect(await runs.models.recorded()).toHaveLength(2);
  expect((await runs.ledger(run.workflowId)).map((entry) => entry.status)).toEqual(['completed', 'completed']);
  const refusals = (await runs.audit(run.workflowId)).filter((event) => event.type === 'llm.budget_exceeded');
  expect(refusals.map((event) => event.payload)).toEqual([expect.objectContaining({ scope: 'run', limit: 'max_llm_calls', provider: 'openai' })]);
});

it('max_cost_usd refuses the call whose worst case would pass the cap: the run never spends more than the cap', async () => {
  const run = await runs.start(definition('capped-cost', 'anthropic', { ...POLLING, max_tokens: 64 }, { max_cost_usd: 0.001 }));
  const { error } = (await run.result()) as Outcome;
  expect(error?.type).toBe('BUDGET_EXCEEDED');
  expect(error?.message).toBe('nodes.ask: run budget: max_cost_usd (0.001) would be exceeded');
  const ledger = await runs.ledger(run.workflowId);
  const total = ledger.reduce((sum, entry) => sum + entry.costMicroUsd, 0);
  expect(ledger.length).toBeGreaterThan(1);
  expect(ledger.every((entry) => entry.status === 'completed')).toBe(true);
  expect(total).toBeLessThanOrEqual(1_000);
  expect(await runs.models.recorded()).toHaveLength(ledger.length);
});

it('a call whose worst case alone passes max_cost_usd is refused before it is sent', async () => {
  // Without max_tokens an Anthropic call may answer 4096 tokens: $0.008 at steward-local's $2 per 1M output tokens.
  const run = await runs.start(definition('capped-one-call', 'anthropic', { prompt: 'Write at length' }, { max_cost_usd: 0.001 }));
  const { error } = (await run.result()) as Outcome;
  expect(error).toEqual({ type: 'BUDGET_EXCEEDED', message: 'nodes.ask: run budget: max_cost_usd (0.001) would be exceeded' });
  expect(await runs.models.recorded()).toEqual([]);
  expect(await runs.ledger(run.workflowId)).toEqual([]);
  const refusals = (await runs.audit(run.workflowId)).filter((event) => event.type === 'llm.budget_exceeded');
  expect(refusals.map((event) => event.payload)).toEqual([expect.objectContaining({ scope: 'run', limit: 'max_cost_usd', estimated_cost_micro_usd: expect.any(Number) })]);
});

describe('caps of a run that starts sub-workflows', () => {
  it("a sub-workflow's calls count against its parent's max_cost_usd: the call that would pass it is refused", async () => {
    // The child has no caps of its own and would poll for 20 turns; the parent's cap stops it once the parent's call
    // and the child's calls so far, with the next call's worst case, would pass 0.001 USD.
    const child = definition('uncapped-child', 'anthropic', { ...POLLING, max_tokens: 64 });
    await runs.client().register(JSON.stringify(child));
    const run = await runs.start({
      id: 'capped-parent',
      version: 1,
      secrets: runs.secrets(),
      limits: { max_cost_usd: 0.001 },
      start: 'ask',
      nodes: {
        ask: { ...runs.llmNode('anthropic', { prompt: 'Plan the work', max_tokens: 64 }), next: 'delegate' },
        delegate: { type: 'subworkflow', workflow: 'uncapped-child', next: 'done' },
        done: { type: 'end', output: 'nodes.delegate.output' },
      },
    });
    const { error } = (await run.result()) as Outcome;
    expect(error).toEqual({ type: 'BUDGET_EXCEEDED', message: `nodes.ask: enclosing run ${run.workflowId} budget: max_cost_usd (0.001) would be exceeded` });

    const [parentLedger, childLedger] = [await runs.ledger(run.workflowId), await runs.ledger(`${run.workflowId}/delegate/1`)];
    expect(parentLedger).toHaveLength(1);
    expect(childLedger.length).toBeGreaterThan(0);
    const spent = [...parentLedger, ...childLedger].reduce((sum, entry) => sum + entry.costMicroUsd, 0);
    expect(spent).toBeLessThanOrEqual(1_000);
    const refusals = (await runs.audit(`${run.workflowId}/delegate/1`)).filter((event) => event.type === 'llm.budget_exceeded');
    expect(refusals.map((event) => event.payload)).toEqual([
      expect.objectContaining({ scope: 'enclosing run', enclosing_workflow_id: run.workflowId, limit: 'max_cost_usd' }),
    ]);
  });

  it("a child started by hand with a forged chain of enclosing runs is not attached to another run's budget", async () => {
    // Temporal names no parent for a run started on its own, so the chain in its input is ignored.
    await runs.client().register(JSON.stringify(definition('forged-chain', 'openai', { prompt: 'Hello', max_tokens: 10 })));
    const workflowId = `forged-chain-${Date.now()}`;
    await runs.temporal().workflow.start('agentWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ workflow: 'forged-chain', input: {}, enclosing: [{ workflowId: 'someone-else', limits: { max_llm_calls: 0 } }] }],
    });
    expect(await (await runs.client().getRun(workflowId)).result()).toEqual({ answer: 'echo: Hello' });
    expect((await runs.ledger(workflowId)).map((entry) => entry.status)).toEqual(['completed']);
  });
});

describe('output bounds under a cost cap', () => {
  it('an OpenAI call without max_tokens under max_cost_usd is sent with the 4,096 tokens its reservation assumed', async () => {
    const run = await runs.start(definition('bounded-openai', 'openai', { prompt: 'Write at length' }, { max_cost_usd: 1 }));
    expect(await run.result()).toEqual({ answer: 'echo: Write at length' });
    expect((await runs.models.recorded()).map((request) => (request.body as { max_tokens?: number }).max_tokens)).toEqual([4096]);
  });

  it("a node's own max_tokens is kept, and an uncapped call is sent as the node wrote it", async () => {
    const capped = await runs.start(definition('bounded-own', 'openai', { prompt: 'Short', max_tokens: 50 }, { max_cost_usd: 1 }));
    await capped.result();
    const uncapped = await runs.start(definition('unbounded', 'openai', { prompt: 'Free' }));
    await uncapped.result();
    expect((await runs.models.recorded()).map((request) => (request.body as { max_tokens?: number }).max_tokens)).toEqual([50, undefined]);
  });
});

/** Three llm branches a, b and c in parallel under `limits`; a refused branch records its error and ends. */
function startFanOut(id: string, limits: Record<string, number>, ask: (name: string) => Record<string, unknown>) {
  const nodes: Record<string, unknown> = {
    fan_out: { type: 'parallel', branches: [{ start: 'ask_a' }, { start: 'ask_b' }, { start: 'ask_c' }], next: 'done' },
    done: { type: 'end', output: "{'a': nodes.ask_a, 'b': nodes.ask_b, 'c': nodes.ask_c}" },
  };
  for (const name of ['a', 'b', 'c']) {
    nodes[`ask_${name}`] = { ...ask(name), on_error: `refused_${name}` };
    nodes[`refused_${name}`] = { type: 'set', values: { [`refused_${name}`]: 'true' } };
  }
  return runs.start({ id, version: 1, secrets: runs.secrets(), limits, start: 'fan_out', nodes });
}

it('calls racing in parallel branches cannot overrun max_cost_usd: calls in flight count at their worst case', async () => {
  // Each call: about 425 input tokens estimated (≈310 real) and max_tokens 400 (≈310 real), so about 1225 micro-dollars
  // reserved and 930 spent. Two fit under the cap; three would spend more than it.
  const prompt = (name: string) => `Branch ${name}: ${'lorem ipsum dolor sit amet '.repeat(45)}!slow=500`;
  const run = await startFanOut('capped-parallel-cost', { max_cost_usd: 0.0026 }, (name) => runs.llmNode('openai', { prompt: prompt(name), max_tokens: 400 }));
  const outcome = Object.values((await run.result()) as Record<string, { output?: string; error?: { type: string; message: string } }>);
  expect(outcome.filter((node) => node.output !== undefined)).toHaveLength(2);
  expect(outcome.filter((node) => node.error !== undefined).map((node) => node.error)).toEqual([
    { type: 'BUDGET_EXCEEDED', message: expect.stringMatching(/^nodes\.ask_[abc]: run budget: max_cost_usd \(0\.0026\) would be exceeded$/) },
  ]);
  const ledger = await runs.ledger(run.workflowId);
  expect(ledger.map((entry) => entry.status)).toEqual(['completed', 'completed']);
  expect(ledger.reduce((sum, entry) => sum + entry.costMicroUsd, 0)).toBeLessThanOrEqual(2_600);
  expect(await runs.models.recorded()).toHaveLength(2);
});

it('caps count the whole run, not a node: a later llm node is refused once earlier ones used the calls', async () => {
  const ask = runs.llmNode('openai', { prompt: 'First question' });
  const run = await runs.start({
    id: 'capped-across-nodes',
    version: 1,
    secrets: runs.secrets(),
    limits: { max_llm_calls: 1 },
    start: 'first',
    nodes: {
      first: { ...ask, next: 'second' },
      second: { ...ask, prompt: 'Second question', on_error: 'refused', next: 'done' },
      done: { type: 'end', output: "'answered twice'" },
      refused: { type: 'end', output: "{'first': nodes.first.output, 'second': nodes.second.error.type}" },
    },
  });
  expect(await run.result()).toEqual({ first: 'echo: First question', second: 'BUDGET_EXCEEDED' });
});

it('calls racing in parallel branches cannot overrun max_llm_calls', async () => {
  const run = await startFanOut('capped-parallel', { max_llm_calls: 2 }, (name) => runs.llmNode('openai', { prompt: `Branch ${name} !slow=300` }));
  const outcome = Object.values((await run.result()) as Record<string, { output?: string; error?: { type: string } }>);
  expect(outcome.filter((node) => node.output !== undefined)).toHaveLength(2);
  expect(outcome.filter((node) => node.error?.type === 'BUDGET_EXCEEDED')).toHaveLength(1);
  expect((await runs.ledger(run.workflowId)).map((entry) => entry.status)).toEqual(['completed', 'completed']);
});

describe('calls the provider may have billed without answering', () => {
  it('a timed-out call counts toward max_llm_calls and keeps its estimated cost: the retry is refused', async () => {
    const run = await runs.start(definition('timed-out-counts', 'openai', { prompt: 'Hello !slow-once=6000', timeout: '2s', max_tokens: 100 }, { max_llm_calls: 1 }));
    const { error } = (await run.result()) as Outcome;
    expect(error).toEqual({ type: 'BUDGET_EXCEEDED', message: 'nodes.ask: run budget: max_llm_calls (1) reached' });
    const ledger = await runs.ledger(run.workflowId);
    expect(ledger.map((entry) => entry.status)).toEqual(['unanswered']);
    // At least the output allowance: 100 tokens at $2 per 1M.
    expect(ledger[0]!.costMicroUsd).toBeGreaterThanOrEqual(200);
    expect(await sumRunUsage(runs.pool(), runs.tenant(), run.workflowId)).toMatchObject({ calls: 1, costMicroUsd: ledger[0]!.costMicroUsd });
    const calls = (await runs.audit(run.workflowId)).filter((event) => event.type === 'llm.call');
    expect(calls.map((event) => event.payload)).toEqual([
      expect.objectContaining({ outcome: 'unanswered', cost_micro_usd: ledger[0]!.costMicroUsd, cost_estimated: true, prompt_hash: ledger[0]!.promptHash }),
    ]);
  });

  it('a provider that answers 5xx has a call of its own for that attempt; the retry is reserved anew', async () => {
    const run = await runs.start(definition('server-error-counts', 'anthropic', { prompt: 'Hello !5xx=503', max_tokens: 100 }));
    expect(await run.result()).toEqual({ answer: 'echo: Hello !5xx=503' });
    expect((await runs.models.recorded()).map((request) => request.status)).toEqual([503, 200]);
    const ledger = await runs.ledger(run.workflowId);
    expect(ledger.map((entry) => entry.status)).toEqual(['unanswered', 'completed']);
    expect(ledger[0]!.costMicroUsd).toBeGreaterThanOrEqual(200);
  });

  it('a provider that could not be reached costs nothing and counts for nothing', async () => {
    const port = await closedPort();
    const run = await runs.start(
      definition('unreachable', 'openai', { prompt: 'Hello', base_url: `http://127.0.0.1:${port}/v1`, retry: { max_attempts: 2, initial_interval: '100ms' } }, { max_llm_calls: 1 }),
    );
    const { error } = (await run.result()) as Outcome;
    expect(error?.message).toContain('openai provider could not be reached');
    // Two activity attempts, both reserved and released: the second one was not refused by max_llm_calls (1).
    const ledger = await runs.ledger(run.workflowId);
    expect(ledger.map((entry) => [entry.status, entry.costMicroUsd])).toEqual([
      ['failed', 0],
      ['failed', 0],
    ]);
  });
});

describe('tenant daily budget', () => {
  const budget = (...args: string[]) => runCli(['tenant', 'budget', runs.tenant(), ...args]);

  afterAll(async () => {
    await budget('--clear');
  });

  it('a tenant over its daily budget cannot start LLM steps; with the budget cleared they run again', async () => {
    const spent = await sumTenantUsageForDay(runs.pool(), runs.tenant());
    const set = await budget('--daily-usd', String(spent.costMicroUsd / 1_000_000), '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ id: runs.tenant(), daily_usd: spent.costMicroUsd / 1_000_000, spent_today_usd: spent.costMicroUsd / 1_000_000, calls_today: spent.calls });

    const refused = await runs.start(definition('over-daily-budget', 'anthropic', { prompt: 'Anything at all' }));
    const { error } = (await refused.result()) as Outcome;
    expect(error?.type).toBe('BUDGET_EXCEEDED');
    expect(error?.message).toMatch(/^nodes\.ask: tenant daily budget \([\d.]+ USD\) is used up for today \(UTC\)$/);
    expect(await runs.models.recorded()).toEqual([]);
    expect(await runs.ledger(refused.workflowId)).toEqual([]);
    const refusals = (await runs.audit(refused.workflowId)).filter((event) => event.type === 'llm.budget_exceeded');
    expect(refusals[0]?.payload).toMatchObject({ scope: 'tenant daily', limit: 'daily_budget_usd' });

    expect((await budget('--clear')).code).toBe(0);
    const shown = await budget('--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ daily_usd: null });
    const allowed = await runs.start(definition('over-daily-budget', 'anthropic', { prompt: 'Anything at all' }));
    expect(await allowed.result()).toEqual({ answer: 'echo: Anything at all' });
  });

  it("a call whose worst case would pass what is left of the tenant's day is refused before it is sent", async () => {
    const spent = await sumTenantUsageForDay(runs.pool(), runs.tenant());
    // 100 micro-dollars left: less than a call that may answer 4096 tokens.
    expect((await budget('--daily-usd', String((spent.costMicroUsd + 100) / 1_000_000))).code).toBe(0);
    const refused = await runs.start(definition('near-daily-budget', 'anthropic', { prompt: 'Anything at all' }));
    const { error } = (await refused.result()) as Outcome;
    expect(error?.type).toBe('BUDGET_EXCEEDED');
    expect(error?.message).toMatch(/^nodes\.ask: tenant daily budget \([\d.]+ USD\) would be exceeded today \(UTC\) by this call's worst-case cost$/);
    expect(await runs.models.recorded()).toEqual([]);
    expect(await runs.ledger(refused.workflowId)).toEqual([]);
    expect((await budget('--clear')).code).toBe(0);
  });

  it('refuses a bad amount, both flags at once, or an unknown tenant, with exit code 2', async () => {
    for (const amount of ['-1', 'ten', '1.0000001', '1e3']) {
      const result = await budget('--daily-usd', amount);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--daily-usd');
    }
    expect((await budget('--daily-usd', '5', '--clear')).code).toBe(2);
    const unknown = await runCli(['tenant', 'budget', 'no-such-tenant-x9', '--daily-usd', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('does not exist');
  });
});

it('the ledger adds up exactly: each call priced from its tokens, summed per run, per agent per day and per tenant per day', async () => {
  const before = await sumTenantUsageForDay(runs.pool(), runs.tenant());
  const looped = definition('ledger-sums', 'openai', { prompt: '{{ input.ask }}', tools: ['poll_status'], max_iterations: 3, on_max_iterations: 'last_answer' });
  const first = await runs.start(looped, { ask: 'Poll a few times !loop=poll_status' });
  await first.result();
  const second = await runs.start(looped, { ask: 'Poll a few times more, with a longer prompt !loop=poll_status' });
  await second.result();

  const perRun = [];
  for (const run of [first, second]) {
    const entries = await runs.ledger(run.workflowId);
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(entry.costMicroUsd).toBe(costOf({ inputTokens: entry.promptTokens, outputTokens: entry.completionTokens }, 'steward-local'));
    }
    const totals = await sumRunUsage(runs.pool(), runs.tenant(), run.workflowId);
    expect(totals).toEqual({
      calls: 3,
      promptTokens: entries.reduce((sum, entry) => sum + entry.promptTokens, 0),
      completionTokens: entries.reduce((sum, entry) => sum + entry.completionTokens, 0),
      costMicroUsd: entries.reduce((sum, entry) => sum + entry.costMicroUsd, 0),
    });
    // The audit trail carries the same costs, call by call.
    const audited = (await runs.audit(run.workflowId)).filter((event) => event.type === 'llm.call').map((event) => event.payload!.cost_micro_usd);
    expect(audited).toEqual(entries.map((entry) => entry.costMicroUsd));
    perRun.push(totals);
  }
  const [agentToday] = await sumAgentUsageByDay(runs.pool(), runs.tenant(), 'ledger-sums');
  expect(agentToday).toMatchObject({ calls: 6, costMicroUsd: perRun[0]!.costMicroUsd + perRun[1]!.costMicroUsd });
  const after = await sumTenantUsageForDay(runs.pool(), runs.tenant());
  expect(after.costMicroUsd - before.costMicroUsd).toBe(perRun[0]!.costMicroUsd + perRun[1]!.costMicroUsd);
  expect(after.calls - before.calls).toBe(6);
});

describe('tenant prices', () => {
  const price = (...args: string[]) => runCli(['tenant', 'price', runs.tenant(), ...args]);

  afterAll(async () => {
    await price('llama-local', '--remove');
  });

  it('a model without a price is refused before any call; once the tenant prices it, calls are costed at that price', async () => {
    const unpriced = definition('unpriced-model', 'openai', { prompt: 'Hello llama', model: 'llama-local' });
    const refused = await runs.start(unpriced);
    const { error } = (await refused.result()) as Outcome;
    expect(error).toEqual({ type: 'CONFIG_INVALID', message: 'no price for model "llama-local": add it to the price table' });
    expect(await runs.models.recorded()).toEqual([]);
    expect(await runs.ledger(refused.workflowId)).toEqual([]);

    const set = await price('llama-local', '--input-usd-per-1m', '3', '--output-usd-per-1m', '7.5', '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ id: runs.tenant(), prices: { 'llama-local': { input_usd_per_1m: 3, output_usd_per_1m: 7.5 } } });
    const priced = await runs.start(unpriced);
    expect(await priced.result()).toEqual({ answer: 'echo: Hello llama' });
    const [entry] = await runs.ledger(priced.workflowId);
    // 3 and 7.5 USD per 1M tokens are 3 and 7.5 micro-dollars per token, rounded up once per call.
    expect(entry!.costMicroUsd).toBe(Math.ceil(entry!.promptTokens * 3 + entry!.completionTokens * 7.5));
  });

  it('refuses a bad price, a half-given one, or one without a model, with exit code 2', async () => {
    expect((await price('llama-local', '--input-usd-per-1m', 'free', '--output-usd-per-1m', '1')).code).toBe(2);
    expect((await price('llama-local', '--input-usd-per-1m', '1')).code).toBe(2);
    expect((await price('--input-usd-per-1m', '1', '--output-usd-per-1m', '1')).code).toBe(2);
    const tooDear = await price('llama-local', '--input-usd-per-1m', '20000', '--output-usd-per-1m', '1');
    expect(tooDear.code).toBe(2);
    expect(tooDear.stderr).toContain('input_usd_per_1m');
  });
});

/** A local port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// The `llm` node in real runs, through both protocols against the local model server: a plain answer, structured
// output (valid, repaired, invalid), a two-tool loop whose tools run as tool steps, max_iterations in both modes,
// a 429 honoured, a timeout retried, and a run cancelled mid-call. Every call lands in the ledger and the audit trail.
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { costOf, type LlmProvider } from '../../src/llm';
import { API_KEY, PROVIDERS } from '../support/model-server';
import { useLlmRuns } from '../support/llm-run';

const runs = useLlmRuns('llm-node');

const CLASSIFICATION = {
  type: 'object',
  required: ['category', 'confidence'],
  properties: { category: { type: 'string', enum: ['travel', 'meals', 'other'] }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

/** A definition whose `ask` node is an llm node; its output (or its error, via on_error) is the run's result. */
function definition(id: string, provider: LlmProvider, fields: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: `${id}-${provider}`,
    version: 1,
    secrets: runs.secrets(),
    start: 'ask',
    nodes: {
      ask: { ...runs.llmNode(provider, fields), on_error: 'failed', next: 'done' },
      done: { type: 'end', output: "{'answer': nodes.ask.output}" },
      failed: { type: 'end', output: "{'error': nodes.ask.error}" },
      ...((extra.nodes as Record<string, unknown>) ?? {}),
    },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'nodes')),
  };
}

/** Tool nodes the model may call (those named): each posts what it was given to the HTTP target. */
function toolNodes(...names: string[]) {
  const url = runs.target().url;
  const nodes: Record<string, unknown> = {
    lookup_customer: { type: 'tool', tool: 'http', request: { method: 'POST', url: `${url}/customers`, body: { customer_id: '{{ nodes.lookup_customer.arguments.customer_id }}' } } },
    check_sanctions: { type: 'tool', tool: 'http', request: { method: 'POST', url: `${url}/sanctions`, body: { name: '{{ nodes.check_sanctions.arguments.name }}' } } },
    poll_status: { type: 'tool', tool: 'http', request: { method: 'GET', url: `${url}/status` } },
  };
  return Object.fromEntries(names.map((name) => [name, nodes[name]]));
}

const LOOKUP = { name: 'lookup_customer', description: 'Find a customer by id', input_schema: { type: 'object', required: ['customer_id'], properties: { customer_id: { type: 'string' } } } };
const SANCTIONS = { name: 'check_sanctions', description: 'Screen a name against sanctions lists', input_schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } };

async function failureOf(promise: Promise<unknown>): Promise<WorkflowFailedError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return error as WorkflowFailedError;
}

describe.each(PROVIDERS)('llm node over %s', (provider) => {
  it('answers a plain prompt; the call is in the ledger, priced exactly, and audited with its hash but never the key', async () => {
    const run = await runs.start(definition('plain', provider, { prompt: 'Say hello to {{ input.name }}' }), { name: 'Ada' });
    expect(await run.result()).toEqual({ answer: 'echo: Say hello to Ada' });
    const [entry, ...more] = await runs.ledger(run.workflowId);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ node: 'ask', provider, model: 'steward-local', status: 'completed' });
    expect(entry!.costMicroUsd).toBe(costOf({ inputTokens: entry!.promptTokens, outputTokens: entry!.completionTokens }, 'steward-local'));
    const audit = await runs.audit(run.workflowId);
    const calls = audit.filter((event) => event.type === 'llm.call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ step: 'ask', agentId: `plain-${provider}` });
    expect(calls[0]!.payload).toMatchObject({
      provider,
      model: 'steward-local',
      outcome: 'completed',
      prompt_hash: entry!.promptHash,
      prompt_tokens: entry!.promptTokens,
      completion_tokens: entry!.completionTokens,
      cost_micro_usd: entry!.costMicroUsd,
    });
    expect(calls[0]!.payload!.prompt_hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    // retain_prompts is off by default: no prompt text, and never the key.
    expect(calls[0]!.payload!.prompt).toBeUndefined();
    expect(JSON.stringify(audit)).not.toContain(API_KEY);
    expect(JSON.stringify(await run.fetchHistory())).not.toContain(API_KEY);
  });

  it('returns structured output that matches output_schema', async () => {
    const run = await runs.start(definition('structured', provider, { prompt: 'Classify: taxi to airport', output_schema: CLASSIFICATION }));
    expect(await run.result()).toEqual({ answer: { category: 'travel', confidence: 0 } });
    expect(await runs.ledger(run.workflowId)).toHaveLength(1);
  });

  it('repairs an invalid answer once, and both calls are accounted', async () => {
    const run = await runs.start(definition('repaired', provider, { prompt: 'Classify: lunch !json=invalid-once', output_schema: CLASSIFICATION }));
    expect(await run.result()).toEqual({ answer: { category: 'travel', confidence: 0 } });
    const ledger = await runs.ledger(run.workflowId);
    expect(ledger.map((entry) => entry.status)).toEqual(['completed', 'completed']);
    expect(ledger[0]!.promptHash).not.toBe(ledger[1]!.promptHash);
  });

  it('fails with OUTPUT_INVALID after the one repair, routed to on_error, without retrying the step', async () => {
    const run = await runs.start(definition('invalid', provider, { prompt: 'Classify: hotel !json=invalid', output_schema: CLASSIFICATION }));
    const result = (await run.result()) as { error: { type: string; message: string } };
    expect(result.error.type).toBe('OUTPUT_INVALID');
    expect(result.error.message).toMatch(/^nodes\.ask: /);
    expect(result.error.message).not.toContain('unexpected_field');
    expect(await runs.ledger(run.workflowId)).toHaveLength(2);
  });

  it('runs a two-tool loop: each call the model asks for runs as a tool step with its arguments', async () => {
    const before = runs.target().requests.length;
    const run = await runs.start(
      definition('two-tools', provider, { prompt: 'Onboard customer !tools=lookup_customer,check_sanctions', tools: [LOOKUP, SANCTIONS] }, { nodes: toolNodes('lookup_customer', 'check_sanctions') }),
    );
    const { answer } = (await run.result()) as { answer: string };
    expect(answer).toMatch(/^done: lookup_customer, check_sanctions; last result: /);
    const hits = runs.target().requests.slice(before);
    expect(hits.map((hit) => `${hit.method} ${hit.path}`)).toEqual(['POST /customers', 'POST /sanctions']);
    // The model server builds arguments from each tool's schema; the tool nodes rendered them into their requests.
    expect(JSON.parse(hits[0]!.body)).toEqual({ customer_id: 'example' });
    expect(JSON.parse(hits[1]!.body)).toEqual({ name: 'example' });
    expect(answer).toContain('"path":"/sanctions"');
    expect((await runs.ledger(run.workflowId)).map((entry) => entry.status)).toEqual(['completed', 'completed', 'completed']);
    // Tool results reached the model as tool turns (the second request carries the first result).
    const recorded = await runs.models.recorded();
    expect(JSON.stringify(recorded[1]!.body)).toContain('/customers');
  });

  it('stops at max_iterations with LIMIT_EXCEEDED, routed to on_error, when the model never stops calling tools', async () => {
    const before = runs.target().requests.length;
    const run = await runs.start({
      ...definition('loop-fail', provider, { prompt: 'Wait for it !loop=poll_status', tools: ['poll_status'], max_iterations: 3 }, { nodes: toolNodes('poll_status') }),
    });
    const { error } = (await run.result()) as { error: { type: string; message: string } };
    expect(error).toEqual({ type: 'LIMIT_EXCEEDED', message: 'nodes.ask: max_iterations (3) reached while the model still asked for tools' });
    expect(await runs.ledger(run.workflowId)).toHaveLength(3);
    // Tools ran after the first two calls only; the third call's request was refused by the limit.
    expect(runs.target().requests.slice(before).map((hit) => hit.path)).toEqual(['/status', '/status']);
  });

  it('keeps the last answer at max_iterations when on_max_iterations is last_answer (limits.max_iterations as the default)', async () => {
    const run = await runs.start(
      definition('loop-last', provider, { prompt: 'Wait for it !loop=poll_status', tools: ['poll_status'], on_max_iterations: 'last_answer' }, {
        nodes: toolNodes('poll_status'),
        limits: { max_iterations: 2 },
      }),
    );
    expect(await run.result()).toEqual({ answer: 'calling poll_status' });
    expect(await runs.ledger(run.workflowId)).toHaveLength(2);
  });

  it('waits out a 429 for as long as Retry-After says: one call in the ledger, two requests at the server', async () => {
    const started = Date.now();
    const run = await runs.start(definition('rate-limited', provider, { prompt: 'Hello !429=1' }));
    expect(await run.result()).toEqual({ answer: 'echo: Hello !429=1' });
    const recorded = await runs.models.recorded();
    expect(recorded.map((request) => request.status)).toEqual([429, 200]);
    expect(recorded[1]!.received_at - recorded[0]!.finished_at!).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect((await runs.ledger(run.workflowId)).map((entry) => entry.status)).toEqual(['completed']);
  });

  it('retries a call that times out, and the retry answers', async () => {
    const run = await runs.start(definition('timeout', provider, { prompt: 'Hello !slow-once=6000', timeout: '2s' }));
    expect(await run.result()).toEqual({ answer: 'echo: Hello !slow-once=6000' });
    const ledger = await runs.ledger(run.workflowId);
    expect(ledger.at(-1)!.status).toBe('completed');
    // The timed-out attempt may have been billed: it is a call of its own, kept at its estimated cost.
    expect(ledger.filter((entry) => entry.status === 'completed')).toHaveLength(1);
    expect(ledger.filter((entry) => entry.status === 'unanswered')).toEqual([expect.objectContaining({ costMicroUsd: expect.any(Number) })]);
    expect(ledger.find((entry) => entry.status === 'unanswered')!.costMicroUsd).toBeGreaterThan(0);
    expect((await runs.models.recorded()).length).toBeGreaterThanOrEqual(2);
  });

  it('a run cancelled mid-call ends cancelled at once and goes no further', async () => {
    const run = await runs.start(definition('cancelled', provider, { prompt: 'Think slowly !slow=30000' }));
    await runs.models.waitForRecorded((requests) => requests.length > 0);
    const cancelledAt = Date.now();
    await runs.temporal().workflow.getHandle(run.workflowId).cancel();
    const failure = await failureOf(run.result());
    expect(failure.cause).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(await run.describe().then((description) => description.status.name)).toBe('CANCELLED');
  });
});

test('cancellation reaches the provider call: the in-flight request is aborted, and the call counts at its estimate', async () => {
  const run = await runs.start(definition('cancel-abort', 'openai', { prompt: 'Think slowly !slow=60000' }));
  await runs.models.waitForRecorded((requests) => requests.length > 0);
  await runs.temporal().workflow.getHandle(run.workflowId).cancel();
  await failureOf(run.result());
  // The activity learns of the cancellation with its next heartbeat response (throttled by the SDK).
  const deadline = Date.now() + 45_000;
  let ledger = await runs.ledger(run.workflowId);
  while (ledger[0]?.status !== 'unanswered' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    ledger = await runs.ledger(run.workflowId);
  }
  // The provider may have worked on it until the abort: it stays a call, at its worst-case cost.
  expect(ledger.map((entry) => entry.status)).toEqual(['unanswered']);
  expect(ledger[0]!.costMicroUsd).toBeGreaterThan(0);
  expect((await runs.models.recorded())[0]!.outcome).toBe('aborted');
}, 60_000);

test('with retain_prompts the audit entry keeps the prompt as sent, PII masked; the key is never in it', async () => {
  const run = await runs.start(
    { ...definition('retained', 'anthropic', { prompt: 'Check SSN {{ input.ssn }}', system: 'Be brief' }), data_policy: { retain_prompts: true } },
    { ssn: '123-45-6789' },
  );
  expect(await run.result()).toEqual({ answer: 'echo: Check SSN ***-**-6789' });
  const [call] = (await runs.audit(run.workflowId)).filter((event) => event.type === 'llm.call');
  expect(call!.payload!.prompt).toBe(JSON.stringify({ system: 'Be brief', messages: [{ role: 'user', content: 'Check SSN ***-**-6789' }] }));
  expect(JSON.stringify(call)).not.toContain('123-45-6789');
  expect(JSON.stringify(call)).not.toContain(API_KEY);
});

test('offering the built-in http tool by name is refused at registration, naming the field', async () => {
  const offered = definition('offers-http', 'openai', { prompt: 'Fetch something', tools: ['http'] });
  const error = await runs
    .client()
    .register(JSON.stringify(offered))
    .then(
      () => undefined,
      (reason: unknown) => reason,
    );
  expect(error).toMatchObject({ code: 'DEFINITION_INVALID' });
  expect((error as Error).message).toContain("nodes.ask.tools[0]: the built-in http tool needs a request: offer a tool node with tool: http and a request, by the node's id");
});

// The tool-use loop through both protocols: a scripted two-tool run, max_iterations in both modes, tools the node did
// not offer, structured output at the end, and the same loop driven one step at a time as a workflow would.
import {
  addToolResults,
  callModel,
  createOutputValidator,
  isLlmError,
  nextModelRequest,
  recordModelResponse,
  runToolLoop,
  startToolLoop,
  type ModelRequest,
  type ToolCall,
  type ToolDefinition,
  type ToolLoopState,
} from '../../src/llm';
import { PROVIDERS, useModelServer, userPrompt } from '../support/model-server';

const fixture = useModelServer();

const TOOLS: ToolDefinition[] = [
  {
    name: 'lookup_customer',
    description: 'Find a customer by id',
    parameters: { type: 'object', required: ['customer_id'], properties: { customer_id: { type: 'string' } } },
  },
  {
    name: 'send_email',
    description: 'Send an email',
    parameters: { type: 'object', required: ['to', 'subject'], properties: { to: { type: 'string', format: 'email' }, subject: { type: 'string' } } },
  },
];

describe.each(PROVIDERS)('tool loop over %s', (provider) => {
  const call = (request: ModelRequest) => callModel(request, fixture.options(provider));

  it('runs a scripted two-tool sequence in order, then answers with usage summed over every call', async () => {
    const executed: ToolCall[] = [];
    const perCall: number[] = [];
    const result = await runToolLoop({
      request: userPrompt('Onboard customer 42 !tools=lookup_customer,send_email', { tools: TOOLS }),
      call: async (request) => {
        const response = await call(request);
        perCall.push(response.usage.inputTokens + response.usage.outputTokens);
        return response;
      },
      executeTool: async (toolCall) => {
        executed.push(toolCall);
        return toolCall.name === 'lookup_customer' ? { name: 'Ada', email: 'ada@example.com' } : 'sent';
      },
    });
    expect(executed.map((toolCall) => [toolCall.name, toolCall.arguments])).toEqual([
      ['lookup_customer', { customer_id: 'example' }],
      ['send_email', { to: 'user@example.com', subject: 'example' }],
    ]);
    expect(result).toMatchObject({ text: 'done: lookup_customer, send_email; last result: sent', exhausted: false });
    expect(result.state.iterations).toBe(3);
    const requests = await fixture.recorded();
    expect(requests).toHaveLength(3);
    expect(JSON.stringify(requests[2]!.body)).toContain('Ada');
    expect(result.state.usage.inputTokens + result.state.usage.outputTokens).toBe(perCall.reduce((sum, tokens) => sum + tokens, 0));
  });

  it('fails with LIMIT_EXCEEDED when max_iterations is reached and onExhausted is fail', async () => {
    let executions = 0;
    const error = await runToolLoop({
      request: userPrompt('Dig forever !loop=lookup_customer', { tools: TOOLS }),
      call,
      executeTool: async () => (executions += 1),
      maxIterations: 3,
      onExhausted: 'fail',
    }).catch((reason: unknown) => reason);
    expect(isLlmError(error, 'LIMIT_EXCEEDED')).toBe(true);
    expect((error as Error).message).toContain('max_iterations (3)');
    expect(executions).toBe(2);
    expect(await fixture.recorded()).toHaveLength(3);
  });

  it('returns the last answer when max_iterations is reached and onExhausted is last_answer', async () => {
    const result = await runToolLoop({
      request: userPrompt('Dig forever !loop=lookup_customer', { tools: TOOLS }),
      call,
      executeTool: async () => 'nothing yet',
      maxIterations: 2,
      onExhausted: 'last_answer',
    });
    expect(result).toMatchObject({ exhausted: true, text: 'calling lookup_customer' });
    expect(await fixture.recorded()).toHaveLength(2);
  });

  it('never runs a tool the node did not offer, and tells the model so', async () => {
    const executed: string[] = [];
    const result = await runToolLoop({
      request: userPrompt('Clean up !tools=delete_all', { tools: TOOLS }),
      call,
      executeTool: async (toolCall) => executed.push(toolCall.name),
    });
    expect(executed).toEqual([]);
    expect(result.text).toContain('last result: tool "delete_all" is not offered in this step');
  });

  it('validates the final answer of a loop against output_schema', async () => {
    const schema = { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } };
    const result = await runToolLoop({
      request: userPrompt('Decide !tools=lookup_customer !json=invalid-once', { tools: TOOLS, outputSchema: { schema } }),
      call,
      executeTool: async () => ({ risk: 'low' }),
      checkOutput: createOutputValidator(schema),
    });
    expect(result).toMatchObject({ output: { approved: true }, repaired: true });
    expect(await fixture.recorded()).toHaveLength(3);
  });

  it('can be driven one model call at a time over JSON state, as a workflow would', async () => {
    // Each hop goes through JSON, as state does between workflow code and activities.
    const hop = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
    let state: ToolLoopState = hop(startToolLoop(userPrompt('Onboard !tools=lookup_customer,send_email', { tools: TOOLS })));
    const limits = { maxIterations: 5, onExhausted: 'fail' as const };
    for (;;) {
      const response = hop(await call(nextModelRequest(state)));
      const step = hop(recordModelResponse(state, response, limits));
      if (step.kind === 'answer') {
        expect(step.text).toBe('done: lookup_customer, send_email; last result: ok:send_email');
        expect(step.state.iterations).toBe(3);
        return;
      }
      if (step.kind === 'failed') throw new Error(step.message);
      const results = step.toolCalls.map((toolCall) => ({ toolCallId: toolCall.id, name: toolCall.name, content: `ok:${toolCall.name}` }));
      const added = hop(addToolResults(step.state, [...step.rejected, ...results], 'block'));
      if (added.kind === 'failed') throw new Error(added.message);
      state = added.state;
    }
  });
});

// Structured output through both protocols: a valid answer passes, an invalid one is repaired once, then it fails typed.
import { callModel, createOutputValidator, ensureStructuredOutput, extractJson, isLlmError, type ModelRequest } from '../../src/llm';
import { PROVIDERS, useModelServer, userPrompt } from '../support/model-server';

const fixture = useModelServer();

const CLASSIFICATION = {
  type: 'object',
  required: ['category', 'confidence'],
  additionalProperties: false,
  properties: { category: { type: 'string', enum: ['travel', 'meals', 'other'] }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

describe.each(PROVIDERS)('structured output over %s', (provider) => {
  const check = createOutputValidator(CLASSIFICATION);
  const call = (request: ModelRequest) => callModel(request, fixture.options(provider));
  const classify = async (prompt: string) => {
    const request = userPrompt(prompt, { outputSchema: { name: 'classification', schema: CLASSIFICATION } });
    return ensureStructuredOutput({ request, response: await call(request), check, call });
  };

  it('accepts an answer that matches output_schema, and sends the schema the protocol way', async () => {
    const result = await classify('Classify: taxi to the airport');
    expect(result).toMatchObject({ value: { category: 'travel', confidence: 0 }, repaired: false });
    const [request] = await fixture.recorded();
    const body = request!.body as Record<string, unknown>;
    if (provider === 'openai') expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: CLASSIFICATION } });
    else expect(body.output_config).toMatchObject({ format: { type: 'json_schema', schema: CLASSIFICATION } });
  });

  it.each(['invalid-once', 'broken-once'])('repairs a %s answer with one follow-up naming the problems', async (mode) => {
    const result = await classify(`Classify: hotel !json=${mode}`);
    expect(result.repaired).toBe(true);
    expect(result.value).toEqual({ category: 'travel', confidence: 0 });
    expect(result.responses).toHaveLength(2);
    const requests = await fixture.recorded();
    expect(requests).toHaveLength(2);
    const repairTurn = JSON.stringify(requests[1]!.body);
    expect(repairTurn).toContain('did not match the required JSON Schema');
    expect(repairTurn).toContain(mode === 'broken-once' ? 'not valid JSON' : "must have required property 'category'");
  });

  it('fails with a non-retryable OUTPUT_INVALID after the one repair attempt', async () => {
    const error = await classify('Classify: stuff !json=invalid').catch((reason: unknown) => reason);
    expect(isLlmError(error, 'OUTPUT_INVALID')).toBe(true);
    expect(error).toMatchObject({ retryable: false, provider });
    expect((error as Error).message).not.toContain('stuff');
    expect(await fixture.recorded()).toHaveLength(2);
  });
});

describe('output validator', () => {
  const check = createOutputValidator({ type: 'object', required: ['n'], properties: { n: { type: 'integer' } } });

  it('reads JSON inside a single ```json fence', () => {
    expect(extractJson('```json\n{"n": 1}\n```')).toBe('{"n": 1}');
    expect(check('```json\n{"n": 1}\n```')).toEqual({ ok: true, value: { n: 1 } });
  });

  it('reports schema problems by path without repeating the values', () => {
    const result = check('{"n": "secret-value"}');
    expect(result).toEqual({ ok: false, problems: ['/n must be integer'] });
  });
});

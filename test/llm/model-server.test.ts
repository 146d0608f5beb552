// The local model server as a plain HTTP service: health, API keys, recordings, request validation, schema examples.
import { isModelServerHealthy } from '../../dev-server/model-server';
import { buildSchemaExample } from '../../dev-server/model-server/schema-example';
import { API_KEY, useModelServer } from '../support/model-server';

const fixture = useModelServer();

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fixture.server().baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const CHAT = { model: 'steward-local', messages: [{ role: 'user', content: 'hi' }] };
const MESSAGES = { model: 'steward-local', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
const ANTHROPIC_HEADERS = { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' };

describe('model server', () => {
  it('reports healthy, and a closed port does not', async () => {
    expect(await isModelServerHealthy(fixture.server().baseUrl)).toBe(true);
    expect(await isModelServerHealthy('http://127.0.0.1:9', 500)).toBe(false);
  });

  it('answers 401 in each protocol\'s error shape without a valid key, and records the outcome, not the key', async () => {
    const openai = await post('/v1/chat/completions', CHAT);
    expect(openai).toMatchObject({ status: 401, body: { error: { type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const anthropic = await post('/v1/messages', MESSAGES, { 'x-api-key': 'sk-nope', 'anthropic-version': '2023-06-01' });
    expect(anthropic).toMatchObject({ status: 401, body: { type: 'error', error: { type: 'authentication_error' } } });
    const recorded = await fixture.recorded();
    expect(recorded.map((entry) => entry.auth)).toEqual(['missing', 'invalid']);
    expect(JSON.stringify(recorded)).not.toContain('sk-nope');
  });

  it('accepts x-api-key on the Anthropic route and requires anthropic-version', async () => {
    expect((await post('/v1/messages', MESSAGES, ANTHROPIC_HEADERS)).status).toBe(200);
    expect((await post('/v1/messages', MESSAGES, { 'x-api-key': API_KEY })).status).toBe(400);
  });

  it('rejects an invalid body naming the field, not echoing the content', async () => {
    const result = await post('/v1/chat/completions', { model: 'steward-local', messages: [{ role: 'wizard', content: 'secret plan' }] }, { authorization: `Bearer ${API_KEY}` });
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain('messages[0].role');
    expect(JSON.stringify(result.body)).not.toContain('secret plan');
    expect((await post('/v1/chat/completions', '{not json', { authorization: `Bearer ${API_KEY}` })).status).toBe(400);
    expect((await post('/v1/chat/completions', { ...CHAT, stream: true }, { authorization: `Bearer ${API_KEY}` })).status).toBe(400);
  });

  it('reports usage in the wire format of each protocol', async () => {
    const openai = await post('/v1/chat/completions', CHAT, { authorization: `Bearer ${API_KEY}` });
    expect(openai.body).toMatchObject({ object: 'chat.completion', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    const anthropic = await post('/v1/messages', MESSAGES, ANTHROPIC_HEADERS);
    expect(anthropic.body).toMatchObject({ type: 'message', stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } });
  });

  it('keeps every request until DELETE /_recorded clears them (and the once-only rules with them)', async () => {
    const headers = { authorization: `Bearer ${API_KEY}` };
    const limited = { ...CHAT, messages: [{ role: 'user', content: 'x !429=1' }] };
    expect((await post('/v1/chat/completions', limited, headers)).status).toBe(429);
    expect((await post('/v1/chat/completions', limited, headers)).status).toBe(200);
    expect(await fixture.recorded()).toHaveLength(2);
    await fetch(`${fixture.server().baseUrl}/_recorded`, { method: 'DELETE' });
    expect(await fixture.recorded()).toHaveLength(0);
    expect((await post('/v1/chat/completions', limited, headers)).status).toBe(429);
  });

  it('answers 404 for routes it does not serve', async () => {
    expect((await post('/v1/completions', CHAT)).status).toBe(404);
  });
});

describe('buildSchemaExample', () => {
  it.each([
    [{ type: 'string', enum: ['b', 'a'] }, 'b'],
    [{ const: 42 }, 42],
    [{ type: 'integer', minimum: 3 }, 3],
    [{ type: 'string', format: 'email' }, 'user@example.com'],
    [{ type: 'string', minLength: 10 }, 'examplexxx'],
    [{ type: ['null', 'boolean'] }, true],
    [{ type: 'array', items: { type: 'number' }, minItems: 2 }, [1, 1]],
    [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, 'example'],
    [{ type: 'object', properties: { a: { type: 'string' }, b: { type: 'object', properties: { c: { type: 'boolean' } } } } }, { a: 'example', b: { c: true } }],
  ])('%j → %j', (schema, expected) => {
    expect(buildSchemaExample(schema)).toEqual(expected);
  });
});

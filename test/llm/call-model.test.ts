// callModel through both official SDKs against the local model server: answers, retries, timeouts, cancellation, auth,
// and which failures the provider may have billed.
import { createServer, type AddressInfo } from 'node:net';
import { callModel, isLlmError, type LlmError, type RetryNotice } from '../../src/llm';
import { isStewardError } from '../../src/errors';
import { API_KEY, PROVIDERS, useModelServer, userPrompt } from '../support/model-server';

const fixture = useModelServer();

async function failureOf(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isLlmError(error)) throw new Error(`expected an LlmError, got ${String(error)}`);
  return error;
}

describe.each(PROVIDERS)('callModel over %s', (provider) => {
  it('answers a plain prompt and reports token usage', async () => {
    const response = await callModel(userPrompt('hello there', { system: 'be brief' }), fixture.options(provider));
    expect(response).toMatchObject({ provider, model: 'steward-local', text: 'echo: hello there', toolCalls: [], stopReason: 'end' });
    expect(response.usage.inputTokens).toBeGreaterThan(0);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
    const [request] = await fixture.recorded();
    expect(request).toMatchObject({ protocol: provider, auth: 'valid', status: 200 });
    expect(JSON.stringify(request!.body)).toContain('be brief');
  });

  it('waits out a 429 for as long as Retry-After says, then succeeds', async () => {
    const notices: RetryNotice[] = [];
    const started = Date.now();
    const response = await callModel(userPrompt('rate me !429=1'), fixture.options(provider, { onRetry: (notice) => void notices.push(notice) }));
    expect(response.text).toBe('echo: rate me !429=1');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ attempt: 1, delayMs: 1_000 });
    expect(notices[0]!.error).toMatchObject({ code: 'LLM_PROVIDER_ERROR', status: 429, retryable: true, retryAfterMs: 1_000 });
    const [limited, retried] = await fixture.recorded();
    expect(limited!.status).toBe(429);
    expect(retried!.status).toBe(200);
    // The server's clock, not the test's: the retry arrived no sooner than Retry-After allowed.
    expect(retried!.received_at - limited!.finished_at!).toBeGreaterThanOrEqual(950);
  });

  it('retries a 5xx once and succeeds; the failed attempt is reported as one the provider may have billed', async () => {
    const notices: RetryNotice[] = [];
    const response = await callModel(userPrompt('flaky !5xx=503'), fixture.options(provider, { onRetry: (notice) => void notices.push(notice) }));
    expect(notices.map((notice) => notice.error)).toEqual([expect.objectContaining({ status: 503, billable: true })]);
    expect(response.text).toContain('flaky');
    expect((await fixture.recorded()).map((request) => request.status)).toEqual([503, 200]);
  });

  it('times out a slow attempt and succeeds on the retry', async () => {
    const notices: RetryNotice[] = [];
    const response = await callModel(
      userPrompt('slow start !slow-once=2000'),
      fixture.options(provider, { timeoutMs: 300, onRetry: (notice) => void notices.push(notice) }),
    );
    expect(response.text).toContain('slow start');
    expect(notices.map((notice) => notice.error.code)).toEqual(['LLM_TIMEOUT']);
    const requests = await fixture.waitForRecorded((all) => all.length === 2 && all[0]!.outcome !== 'pending');
    expect(requests.map((request) => request.outcome)).toEqual(['aborted', 'answered']);
  });

  it('gives up after maxAttempts with a retryable LLM_TIMEOUT, which the provider may have billed', async () => {
    const error = await failureOf(callModel(userPrompt('always slow !slow=1500'), fixture.options(provider, { timeoutMs: 200, retry: { maxAttempts: 2, baseDelayMs: 10 } })));
    expect(error).toMatchObject({ code: 'LLM_TIMEOUT', retryable: true, billable: true, provider });
    expect(await fixture.waitForRecorded((all) => all.length === 2)).toHaveLength(2);
  });

  it('is cancelled mid-call by its AbortSignal, without a retry', async () => {
    const controller = new AbortController();
    const call = callModel(userPrompt('long thought !slow=5000'), fixture.options(provider, { signal: controller.signal }));
    await fixture.waitForRecorded((all) => all.length === 1);
    controller.abort();
    const error = await failureOf(call);
    expect(error).toMatchObject({ code: 'LLM_CANCELLED', retryable: false, billable: true });
    const requests = await fixture.waitForRecorded((all) => all[0]?.outcome === 'aborted');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.outcome).toBe('aborted');
  });

  it('refuses a wrong key with 401, does not retry, and never echoes the key', async () => {
    const wrongKey = 'sk-wrong-key-7d41e0';
    const error = await failureOf(callModel(userPrompt('who am i'), fixture.options(provider, { apiKey: wrongKey })));
    expect(error).toMatchObject({ code: 'LLM_PROVIDER_ERROR', status: 401, retryable: false, billable: false });
    expect(error.message).not.toContain(wrongKey);
    expect(error.message).not.toContain('who am i');
    const requests = await fixture.recorded();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 401, auth: 'invalid' });
    expect(JSON.stringify(requests)).not.toContain(wrongKey);
  });

  it('leaves a Retry-After longer than it will wait to the caller', async () => {
    const error = await failureOf(callModel(userPrompt('come back later !429=120'), fixture.options(provider)));
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(await fixture.recorded()).toHaveLength(1);
  });
});

describe('callModel options', () => {
  it('rejects an empty key or a non-http base URL as CONFIG_INVALID, naming fields only', async () => {
    const badUrl = 'ftp://user:pw@example.com';
    const error = await callModel(userPrompt('x'), { provider: 'openai', baseUrl: badUrl, apiKey: '' }).catch((reason: unknown) => reason);
    expect(isStewardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/baseUrl.*apiKey|apiKey.*baseUrl/);
    expect((error as Error).message).not.toContain('pw');
  });

  it('fails fast with LLM_CANCELLED when the signal is already aborted, which nobody can have billed', async () => {
    const error = await failureOf(callModel(userPrompt('never sent'), { ...fixture.options('openai'), signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ code: 'LLM_CANCELLED', billable: false });
    expect(await fixture.recorded()).toHaveLength(0);
  });

  it.each(PROVIDERS)('reports a refused connection over %s as never billed', async (provider) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const baseUrl = provider === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
    const error = await failureOf(callModel(userPrompt('x'), { provider, baseUrl, apiKey: API_KEY, retry: { maxAttempts: 1 } }));
    expect(error).toMatchObject({ code: 'LLM_PROVIDER_ERROR', retryable: true, billable: false });
  });

  it('keeps the API key out of recordings and errors even when the server is unreachable', async () => {
    const error = await failureOf(callModel(userPrompt('x'), { provider: 'anthropic', baseUrl: 'http://127.0.0.1:9', apiKey: API_KEY, retry: { maxAttempts: 1 } }));
    expect(error).toMatchObject({ code: 'LLM_PROVIDER_ERROR', retryable: true });
    expect(error.message).not.toContain(API_KEY);
  });
});

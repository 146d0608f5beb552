// One local model server per test file, started in-process on a free port, with its recordings cleared per test.
import { startModelServer, type ModelServer, type RecordedRequest } from '../../dev-server/model-server';
import type { CallModelOptions } from '../../src/llm';
import type { LlmProvider, ModelRequest } from '../../src/llm';

export const API_KEY = 'sk-test-llm-3f9a2c';
export const PROVIDERS: LlmProvider[] = ['openai', 'anthropic'];
export const MODEL = 'steward-local';

export interface ModelServerFixture {
  server(): ModelServer;
  /** Call options for a provider against the fixture server, with quick retries unless overridden. */
  options(provider: LlmProvider, extra?: Partial<CallModelOptions>): CallModelOptions;
  recorded(): Promise<RecordedRequest[]>;
  /** Polls the recordings until `predicate` holds (the server records asynchronously to the client). */
  waitForRecorded(predicate: (requests: RecordedRequest[]) => boolean): Promise<RecordedRequest[]>;
}

export function useModelServer(): ModelServerFixture {
  let server: ModelServer | undefined;
  beforeAll(async () => {
    server = await startModelServer({ port: 0, apiKeys: [API_KEY] });
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await fetch(`${server!.baseUrl}/_recorded`, { method: 'DELETE' });
  });
  const recorded = async () => ((await (await fetch(`${server!.baseUrl}/_recorded`)).json()) as { requests: RecordedRequest[] }).requests;
  return {
    server: () => server!,
    options: (provider, extra = {}) => ({
      provider,
      baseUrl: provider === 'openai' ? server!.openaiBaseUrl : server!.baseUrl,
      apiKey: API_KEY,
      timeoutMs: 5_000,
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      ...extra,
    }),
    recorded,
    async waitForRecorded(predicate) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const requests = await recorded();
        if (predicate(requests) || Date.now() > deadline) return requests;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

export function userPrompt(content: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  return { model: MODEL, messages: [{ role: 'user', content }], ...extra };
}

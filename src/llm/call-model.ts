// One model call through a provider's official SDK, with our own bounded retries (429/5xx, timeouts, Retry-After),
// a deadline per attempt, and cancellation by AbortSignal. Every failure leaves as a typed LlmError.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { StewardError } from '../errors';
import { LlmError } from './errors';
import { toLlmError } from './provider-failure';
import { ANTHROPIC_ADAPTER } from './providers/anthropic';
import { OPENAI_ADAPTER } from './providers/openai';
import type { ProviderAdapter } from './providers/provider-call';
import { DEFAULT_RETRY_POLICY, computeBackoffMs, type RetryPolicy } from './retry-policy';
import type { LlmProvider, ModelRequest, ModelResponse } from './types';
import { zodIssuePath } from '../common/zod-issues';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface RetryNotice {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: LlmError;
}

export interface CallModelOptions {
  provider: LlmProvider;
  /** The provider's base URL; OpenAI-compatible servers include `/v1` (e.g. http://127.0.0.1:11434/v1). */
  baseUrl?: string;
  apiKey: string;
  /** Deadline of each attempt. */
  timeoutMs?: number;
  /** Cancels the call, including a retry wait; the call then fails with LLM_CANCELLED. */
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** Called, and awaited, before each retry wait (an activity heartbeats here, the ledger books the failed attempt). */
  onRetry?: (notice: RetryNotice) => void | Promise<void>;
  /** Source of jitter; injectable for tests. */
  random?: () => number;
}

const ADAPTERS: Record<LlmProvider, ProviderAdapter> = { openai: OPENAI_ADAPTER, anthropic: ANTHROPIC_ADAPTER };

const Options = z.object({
  provider: z.enum(['openai', 'anthropic']),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().min(1),
  timeoutMs: z.int().min(1).max(3_600_000).optional(),
});

function assertCallOptions(options: CallModelOptions): void {
  const parsed = Options.safeParse({ ...options, signal: undefined, onRetry: undefined });
  if (parsed.success) return;
  // Field names only: the key and URL values stay out of the message.
  const fields = [...new Set(parsed.error.issues.map((issue) => zodIssuePath(issue)))].join(', ');
  throw new StewardError('CONFIG_INVALID', `invalid LLM call options: ${fields}`);
}

async function attemptOnce(adapter: ProviderAdapter, provider: LlmProvider, request: ModelRequest, options: CallModelOptions, timeoutMs: number) {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    return await adapter.send(request, { baseUrl: options.baseUrl, apiKey: options.apiKey, signal, timeoutMs });
  } catch (error) {
    const failure = adapter.classify(error);
    // An abort is ours: it is the caller's cancellation if their signal fired, else the attempt's deadline.
    if (options.signal?.aborted) throw toLlmError(provider, { kind: 'cancelled' });
    if (failure.kind === 'cancelled' && deadline.signal.aborted) throw toLlmError(provider, { kind: 'timeout' });
    throw toLlmError(provider, failure);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `request` to the provider, retrying what can clear by waiting; returns the neutral response. */
export async function callModel(request: ModelRequest, options: CallModelOptions): Promise<ModelResponse> {
  assertCallOptions(options);
  const { provider } = options;
  const adapter = ADAPTERS[provider];
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let attempt = 1; ; attempt += 1) {
    if (options.signal?.aborted) throw toLlmError(provider, { kind: 'cancelled', unsent: true });
    try {
      return await attemptOnce(adapter, provider, request, options, timeoutMs);
    } catch (error) {
      if (!(error instanceof LlmError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      const delayMs = error.retryAfterMs ?? computeBackoffMs(attempt, policy, options.random ?? Math.random);
      // A long Retry-After is not slept out here: the caller (Temporal) can schedule the retry durably.
      if (delayMs > policy.maxRetryAfterMs) throw error;
      await options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw toLlmError(provider, { kind: 'cancelled', unsent: true });
      }
    }
  }
}

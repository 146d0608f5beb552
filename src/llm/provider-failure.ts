// Turns what went wrong talking to a provider into a typed LlmError, deciding retryability in one place.
// Pure: safe in workflows. Provider error text is dropped on purpose (OpenAI's echoes part of the API key).
import { LlmError } from './errors';
import type { LlmProvider } from './types';

export type ProviderFailure =
  | { kind: 'http'; status: number; errorType?: string; retryAfterMs?: number }
  | { kind: 'timeout' }
  | { kind: 'cancelled' }
  | { kind: 'connection' }
  | { kind: 'malformed'; problem: string };

/** Provider error codes that arrive with a retryable status but will not clear by waiting. */
const PERMANENT_ERROR_TYPES = new Set(['insufficient_quota', 'billing_hard_limit_reached']);

/** A provider's machine-readable error type, kept only when it looks like an identifier. */
export function safeErrorType(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(value) ? value : undefined;
}

function describeStatus(status: number): string {
  if (status === 401) return 'authentication failed (check the API key reference)';
  if (status === 403) return 'permission denied';
  if (status === 404) return 'not found (check base_url and model)';
  if (status === 429) return 'rate limited';
  if (status >= 500) return 'server error';
  return 'request rejected';
}

export function toLlmError(provider: LlmProvider, failure: ProviderFailure): LlmError {
  switch (failure.kind) {
    case 'http': {
      const { status, errorType, retryAfterMs } = failure;
      const retryable = (status === 429 || status >= 500) && !(errorType && PERMANENT_ERROR_TYPES.has(errorType));
      const type = errorType ? ` [${errorType}]` : '';
      return new LlmError('LLM_PROVIDER_ERROR', `${provider} provider answered HTTP ${status}: ${describeStatus(status)}${type}`, {
        retryable,
        provider,
        status,
        retryAfterMs,
      });
    }
    case 'timeout':
      return new LlmError('LLM_TIMEOUT', `${provider} provider did not answer in time`, { retryable: true, provider });
    case 'cancelled':
      return new LlmError('LLM_CANCELLED', `${provider} call was cancelled`, { retryable: false, provider });
    case 'connection':
      return new LlmError('LLM_PROVIDER_ERROR', `${provider} provider could not be reached`, { retryable: true, provider });
    case 'malformed':
      return new LlmError('LLM_PROVIDER_ERROR', `${provider} provider sent a malformed response: ${failure.problem}`, {
        retryable: false,
        provider,
      });
  }
}

// Turns what went wrong talking to a provider into a typed LlmError, deciding in one place whether retrying can help
// and whether the provider may have billed the attempt.
// Pure: safe in workflows. Provider error text is dropped on purpose (OpenAI's echoes part of the API key).
import { LlmError } from './errors';
import type { LlmProvider } from './types';

export type ProviderFailure =
  | { kind: 'http'; status: number; errorType?: string; retryAfterMs?: number }
  | { kind: 'timeout' }
  /** `unsent`: cancelled before the request went out (already aborted, or during a retry wait). */
  | { kind: 'cancelled'; unsent?: true }
  /** `unsent`: the connection was never made (refused, unresolvable host), so the provider never saw the request. */
  | { kind: 'connection'; unsent?: true }
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
        // A 4xx is a refusal before any work; a 5xx may come after the model ran (a gateway giving up on it).
        billable: status >= 500,
        provider,
        status,
        retryAfterMs,
      });
    }
    case 'timeout':
      return new LlmError('LLM_TIMEOUT', `${provider} provider did not answer in time`, { retryable: true, billable: true, provider });
    case 'cancelled':
      return new LlmError('LLM_CANCELLED', `${provider} call was cancelled`, { retryable: false, billable: !failure.unsent, provider });
    case 'connection':
      return new LlmError('LLM_PROVIDER_ERROR', `${provider} provider could not be reached`, { retryable: true, billable: !failure.unsent, provider });
    case 'malformed':
      return new LlmError('LLM_PROVIDER_ERROR', `${provider} provider sent a malformed response: ${failure.problem}`, {
        retryable: false,
        billable: true,
        provider,
      });
  }
}

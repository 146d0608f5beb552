// The typed failures of LLM steps: a StewardError code plus whether retrying can help. Pure: safe in workflows.
// Messages name the provider, status and provider error type; never API keys, prompts or provider error text.
import { StewardError, isStewardError, type ErrorCode } from '../errors';
import type { LlmProvider } from './types';

export type LlmErrorCode = Extract<
  ErrorCode,
  'LLM_PROVIDER_ERROR' | 'LLM_TIMEOUT' | 'LLM_CANCELLED' | 'BUDGET_EXCEEDED' | 'OUTPUT_INVALID' | 'INPUT_BLOCKED' | 'LIMIT_EXCEEDED'
>;

export interface LlmErrorDetails {
  retryable: boolean;
  /**
   * Whether the provider may have done (and charged for) the work although no answer came back: a timeout, a
   * cancellation mid-request, a 5xx, a malformed answer. Not when the request never reached it or it refused the
   * request (4xx). Absent means false.
   */
  billable?: boolean;
  provider?: LlmProvider;
  /** HTTP status of the provider's answer, when there was one. */
  status?: number;
  /** How long the provider asked us to wait (Retry-After), when it did. */
  retryAfterMs?: number;
}

export class LlmError extends StewardError {
  readonly retryable: boolean;
  readonly billable: boolean;
  readonly provider: LlmProvider | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: LlmErrorCode, message: string, details: LlmErrorDetails) {
    super(code, message);
    this.retryable = details.retryable;
    this.billable = details.billable ?? false;
    this.provider = details.provider;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Whether an error from this module is worth retrying (429, 5xx, timeouts, connection failures). */
export function isRetryableLlmError(error: unknown): boolean {
  return error instanceof LlmError && error.retryable;
}

export function isLlmError(error: unknown, code?: LlmErrorCode): error is LlmError {
  return error instanceof LlmError && isStewardError(error, code);
}

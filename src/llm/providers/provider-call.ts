// What one provider adapter needs for one HTTP attempt; retries, timeouts and cancellation live in call-model.ts.
import type { ProviderFailure } from '../provider-failure';
import type { ModelRequest, ModelResponse } from '../types';

export interface ProviderAttempt {
  baseUrl: string | undefined;
  apiKey: string;
  /** Aborts the attempt: on the caller's cancellation or on the attempt's deadline. */
  signal: AbortSignal;
  timeoutMs: number;
}

export interface ProviderAdapter {
  send(request: ModelRequest, attempt: ProviderAttempt): Promise<ModelResponse>;
  /** Classifies whatever `send` threw. */
  classify(error: unknown): ProviderFailure;
}

/** Parses tool-call arguments the model sent as JSON text; anything but an object is flagged, never run. */
export function parseToolArguments(text: string): { arguments: Record<string, unknown>; argumentsInvalid?: true } {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { arguments: value as Record<string, unknown> };
  } catch {
    // fall through: malformed arguments are reported to the loop, which tells the model instead of running the tool
  }
  return { arguments: {}, argumentsInvalid: true };
}

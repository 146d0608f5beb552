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

/** Socket failures that mean no connection was ever made, so the provider never saw the request. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether an SDK's connection error was caused (somewhere down its `cause` chain) by a connection never made. */
export function isUnsentConnectionError(error: unknown): boolean {
  // Read as plain objects: the socket's error may come from another realm than this module's Error.
  let cause: unknown = error;
  for (let depth = 0; typeof cause === 'object' && cause !== null && depth < 8; depth += 1) {
    const { code, cause: next } = cause as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && UNSENT_CODES.has(code)) return true;
    cause = next;
  }
  return false;
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

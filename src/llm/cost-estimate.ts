// The worst-case cost of a model call, reserved in the ledger before the call is made so that caps hold while calls
// run concurrently. Output is bounded by max_tokens; input is estimated from the size of what is sent.
import { toCanonicalJson } from '../common/canonical-json';
import { costOf, type MicroUsd, type PriceTable } from './prices';
import { DEFAULT_ANTHROPIC_MAX_TOKENS } from './providers/anthropic';
import type { ModelRequest } from './types';

/**
 * Bytes of the request per input token assumed. Tokenizers make about four bytes of English a token, and about one
 * token of three bytes of CJK text; three keeps the estimate at or above the real count for most text.
 */
const BYTES_PER_INPUT_TOKEN = 3;

/**
 * Output assumed for a call without max_tokens: what the Anthropic adapter then sends as max_tokens, and what an
 * OpenAI call under a cost cap is sent with (`boundOutput`), so the estimate is a bound the provider enforces.
 */
export const DEFAULT_OUTPUT_TOKENS = DEFAULT_ANTHROPIC_MAX_TOKENS;

function estimateInputTokens(request: ModelRequest): number {
  const { system, messages, tools, outputSchema } = request;
  const bytes = Buffer.byteLength(toCanonicalJson({ system, messages, tools, outputSchema }), 'utf8');
  return Math.ceil(bytes / BYTES_PER_INPUT_TOKEN);
}

/** The call's cost if it used its whole output allowance, in micro-USD, priced as the model asked for. */
export function estimateCallCost(request: ModelRequest, prices: PriceTable): MicroUsd {
  const usage = { inputTokens: estimateInputTokens(request), outputTokens: request.maxTokens ?? DEFAULT_OUTPUT_TOKENS };
  return costOf(usage, request.model, prices);
}

/**
 * The request as sent under a cost cap: without max_tokens an OpenAI-compatible provider may answer at any length,
 * and the reservation's worst case would bound nothing. A node's own max_tokens is kept.
 */
export function boundOutput(request: ModelRequest): ModelRequest {
  return request.maxTokens === undefined ? { ...request, maxTokens: DEFAULT_OUTPUT_TOKENS } : request;
}

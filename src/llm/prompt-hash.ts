// The prompt hash on ledger rows and audit entries: HMAC-SHA-256 under the tenant's PII key over canonical JSON of
// what the model was sent, so identical prompts of one tenant hash alike without the trail keeping their text. Keyed
// because a prompt may hold raw PII (send_pii_to_provider): a bare hash of "SSN 123-45-6789" falls to trying all 10^9
// SSNs. Not workflow-safe (node:crypto): call it in the activity.
import { createHmac } from 'node:crypto';
import { toCanonicalJson } from '../common/canonical-json';
import { assertHmacKey } from '../pii/hash';
import type { LlmProvider, ModelRequest } from './types';

// Keeps prompt hashes apart from the PII engine's value hashes made with the same key.
const DOMAIN = 'steward/llm-prompt\u0000';

/** `hmac-sha256:<hex>` of the request's model, system prompt, messages, tools and output schema (and provider, if given). */
export function hashPrompt(request: ModelRequest, key: Uint8Array, provider?: LlmProvider): string {
  assertHmacKey(key);
  const { model, system, messages, tools, outputSchema } = request;
  const digest = createHmac('sha256', key)
    .update(DOMAIN)
    .update(toCanonicalJson({ provider, model, system, messages, tools, outputSchema }), 'utf8')
    .digest('hex');
  return `hmac-sha256:${digest}`;
}

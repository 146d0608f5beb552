// The prompt hash on audit entries: sha256 over canonical JSON of what the model was sent, so identical prompts hash
// alike without the audit trail keeping their text. Not workflow-safe (node:crypto): call it in the activity.
import { createHash } from 'node:crypto';
import { toCanonicalJson } from '../common/canonical-json';
import type { LlmProvider, ModelRequest } from './types';

/** `sha256:<hex>` of the request's model, system prompt, messages, tools and output schema (and provider, if given). */
export function hashPrompt(request: ModelRequest, provider?: LlmProvider): string {
  const { model, system, messages, tools, outputSchema } = request;
  const digest = createHash('sha256').update(toCanonicalJson({ provider, model, system, messages, tools, outputSchema }), 'utf8').digest('hex');
  return `sha256:${digest}`;
}

// What reaches a provider follows the data policy: unless it sets send_pii_to_provider, the values prompt templates
// read are masked first (fields named by pii_fields whatever their content), the rendered text is scanned again,
// and tool results are masked before the model reads them.
import { renderTemplate, type ExpressionScope } from '../ir/expressions';
import { applyDataPolicySync, redactText } from '../pii';
import { DataPolicy } from '../pii/policy';
import type { ChatMessage } from './types';

// Mask mode needs no key; the policy context asks for one.
const NO_KEY = new Uint8Array(32);

export interface PromptMasking {
  /** Renders a prompt template from the (masked) run data. */
  render(template: string): string;
  /** Masks PII in text the model will read (tool results). */
  maskText(text: string): string;
}

export function createPromptMasking(scope: ExpressionScope, policy: DataPolicy | undefined): PromptMasking {
  const effective = policy ?? DataPolicy.parse({});
  if (effective.send_pii_to_provider) return { render: (template) => String(renderTemplate(template, scope)), maskText: (text) => text };
  const masking = { ...effective, redaction_mode: 'mask' as const };
  const mask = (value: unknown) => applyDataPolicySync(value, masking, { hmacKey: NO_KEY });
  const masked: ExpressionScope = { ...scope, input: mask(scope.input), vars: mask(scope.vars) as Record<string, unknown>, nodes: mask(scope.nodes) as Record<string, unknown> };
  const maskText = (text: string) => redactText(text, { mode: 'mask', detectors: effective.pii_detectors, customDetectors: effective.custom_detectors });
  return { render: (template) => maskText(String(renderTemplate(template, masked))), maskText };
}

/** The conversation as the provider may see it: tool results masked (the model's own turns are its own output). */
export function maskConversation(conversation: ChatMessage[], masking: PromptMasking): ChatMessage[] {
  return conversation.map((message) => (message.role === 'tool' ? { ...message, content: masking.maskText(message.content) } : message));
}

/**
 * The prompt as the audit trail may keep it (only when retain_prompts): redacted again under the policy's mode, but
 * never more revealing than masking, since audit entries cannot hold keyed hashes without the tenant's key.
 */
export function redactPromptForAudit(text: string, policy: DataPolicy): string {
  const mode = policy.redaction_mode === 'mask' ? 'mask' : 'remove';
  return redactText(text, { mode, detectors: policy.pii_detectors, customDetectors: policy.custom_detectors });
}

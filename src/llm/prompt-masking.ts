// What reaches a provider follows the data policy: unless it sets send_pii_to_provider, the values prompt templates
// read are masked first (fields named by pii_fields whatever their content), the rendered text is scanned again,
// and tool results are masked the same way before the model reads them: a JSON result as data, then as text.
import { renderTemplate, type ExpressionScope } from '../ir/expressions';
import { applyDataPolicySync, redactText } from '../pii';
import { DataPolicy } from '../pii/policy';
import { phoneOptionsFor } from '../pii/detectors/phone';
import { parseCutJson } from './cut-json';
import { TRUNCATION_MARK } from './tool-loop-steps';
import type { ChatMessage } from './types';

// Mask mode needs no key; the policy context asks for one.
const NO_KEY = new Uint8Array(32);

export interface PromptMasking {
  /** Renders a prompt template from the (masked) run data. */
  render(template: string): string;
  /** Masks PII in a tool result the model will read: JSON has pii_fields applied before detectors scan the text. */
  maskToolResult(content: string): string;
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A tool result as JSON: whole, or, when it was cut to size, its complete part (the mark is kept). */
function parseToolResult(content: string): { value: unknown; suffix: string } | undefined {
  const whole = parseJson(content);
  if (whole !== undefined) return { ...whole, suffix: '' };
  if (!content.endsWith(TRUNCATION_MARK)) return undefined;
  const cut = parseCutJson(content.slice(0, -TRUNCATION_MARK.length));
  return cut === undefined ? undefined : { ...cut, suffix: TRUNCATION_MARK };
}

export function createPromptMasking(scope: ExpressionScope, policy: DataPolicy | undefined): PromptMasking {
  const effective = policy ?? DataPolicy.parse({});
  if (effective.send_pii_to_provider) return { render: (template) => String(renderTemplate(template, scope)), maskToolResult: (content) => content };
  const masking = { ...effective, redaction_mode: 'mask' as const };
  const mask = (value: unknown) => applyDataPolicySync(value, masking, { hmacKey: NO_KEY });
  const masked: ExpressionScope = { ...scope, input: mask(scope.input), vars: mask(scope.vars) as Record<string, unknown>, nodes: mask(scope.nodes) as Record<string, unknown> };
  const maskText = (text: string) => redactText(text, { mode: 'mask', detectors: effective.pii_detectors, customDetectors: effective.custom_detectors, phone: phoneOptionsFor(effective.phone_regions) });
  const maskToolResult = (content: string) => {
    const json = parseToolResult(content);
    return maskText(json === undefined ? content : `${JSON.stringify(mask(json.value))}${json.suffix}`);
  };
  return { render: (template) => maskText(String(renderTemplate(template, masked))), maskToolResult };
}

/** The conversation as the provider may see it: tool results masked (the model's own turns are its own output). */
export function maskConversation(conversation: ChatMessage[], masking: PromptMasking): ChatMessage[] {
  return conversation.map((message) => (message.role === 'tool' ? { ...message, content: masking.maskToolResult(message.content) } : message));
}

/**
 * The prompt as the audit trail may keep it (only when retain_prompts): redacted again under the policy's mode, but
 * never more revealing than masking, since audit entries cannot hold keyed hashes without the tenant's key.
 */
export function redactPromptForAudit(text: string, policy: DataPolicy): string {
  const mode = policy.redaction_mode === 'mask' ? 'mask' : 'remove';
  return redactText(text, { mode, detectors: policy.pii_detectors, customDetectors: policy.custom_detectors, phone: phoneOptionsFor(policy.phone_regions) });
}

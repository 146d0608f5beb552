// The prompt-injection patterns the input guard looks for, read against the folded skeleton of untrusted text.
// Patterns favour phrases an attacker must write to steer a model; ordinary prose rarely contains them. Pure.

export type InjectionKind =
  | 'ignore_instructions'
  | 'reveal_secrets'
  | 'tool_invocation'
  | 'role_spoofing'
  | 'encoded_payload'
  | 'invisible_characters';

export interface InjectionRule {
  id: string;
  kind: InjectionKind;
  pattern: RegExp;
}

const GAP = String.raw`(?:[\s,;:'"-]+[\w'-]+){0,4}?[\s,;:'"-]+`;
const TARGETS = String.raw`(?:instructions?|rules?|prompts?|directions?|directives?|guidelines?|guardrails?|constraints?|polic(?:y|ies)|context|messages?|commands?|orders?)`;
const SECRETS = String.raw`(?:system\s+prompt|(?:initial|hidden|original|secret|developer)\s+(?:prompt|instructions|message)|instructions\s+above|api[\s_-]?keys?|secrets?|passwords?|credentials?|(?:access|bearer|auth)\s+tokens?|private\s+keys?|environment\s+variables|env\s+vars)`;
const VERBS = String.raw`(?:call|invoke|execute|run|trigger|use|perform)`;

export const INJECTION_RULES: readonly InjectionRule[] = [
  {
    id: 'ignore-prior',
    kind: 'ignore_instructions',
    pattern: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|bypass|skip|abandon|drop)${GAP}(?:(?:previous|prior|preceding|above|earlier|former|all|any|your|the|system|original|initial|existing)\s+)+(?:[\w-]+\s+){0,2}?${TARGETS}\b`,
      'gi',
    ),
  },
  { id: 'new-instructions', kind: 'ignore_instructions', pattern: /\b(?:new|updated|revised|real|actual)\s+(?:system\s+)?instructions?\s*:/gi },
  { id: 'persona-switch', kind: 'ignore_instructions', pattern: /\byou\s+are\s+(?:now|no\s+longer)\b|\bfrom\s+now\s+on,?\s+(?:you|act|respond|ignore|always)\b/gi },
  { id: 'jailbreak-mode', kind: 'ignore_instructions', pattern: /\b(?:developer|god|jailbreak|dan|unrestricted)\s+mode\b|\bdo\s+anything\s+now\b/gi },
  {
    id: 'reveal-secrets',
    kind: 'reveal_secrets',
    pattern: new RegExp(
      String.raw`\b(?:reveal|show|print|output|repeat|display|dump|leak|disclose|expose|tell\s+me|give\s+me|send|share|exfiltrate|list|email|post)${GAP}?(?:(?:your|the|all|any|my|our)\s+)*${SECRETS}\b`,
      'gi',
    ),
  },
  { id: 'ask-system-prompt', kind: 'reveal_secrets', pattern: /\bwhat\s+(?:is|are|were)\s+your\s+(?:system\s+prompt|(?:initial\s+)?instructions|rules)\b/gi },
  {
    id: 'call-named-tool',
    kind: 'tool_invocation',
    pattern: new RegExp(String.raw`\b${VERBS}\s+(?:the\s+)?(?:(?:tool|function)\s+)?[\`'"]?[a-z][a-z0-9]*(?:_[a-z0-9]+)+[\`'"]?`, 'gi'),
  },
  { id: 'call-a-tool', kind: 'tool_invocation', pattern: new RegExp(String.raw`\b${VERBS}\s+(?:the\s+|a\s+)?[\`'"]?[\w.-]+[\`'"]?\s+(?:tool|function)\b`, 'gi') },
  { id: 'tool-call-markup', kind: 'tool_invocation', pattern: /<\/?\s*(?:tool_call|function_call|tool_use|invoke|function_calls)\b|"(?:tool_calls|function_call)"\s*:/gi },
  { id: 'chat-markup', kind: 'role_spoofing', pattern: /<\|(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|assistant)>/gi },
  { id: 'role-line', kind: 'role_spoofing', pattern: /^[ \t>#*]*(?:system|assistant|developer)\s*(?:message|prompt)?\s*:/gim },
];

/** Long runs that look like base64/base64url or hex: a way to carry instructions past a reader. */
export const BASE64_BLOB = /[A-Za-z0-9+/_-]{64,}={0,2}/g;
export const HEX_BLOB = /\b(?:0x)?[0-9a-fA-F]{96,}\b/g;

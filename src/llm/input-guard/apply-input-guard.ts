// Applies a node's input-guard policy to untrusted text: `block` refuses it, `flag` passes it on with findings for the
// audit trail, `sanitize` cuts the marked spans (and invisible characters) out. Pure: safe in workflows.
import { scanUntrustedText, type InjectionFinding } from './scan-untrusted-text';

export type InputGuardPolicy = 'block' | 'flag' | 'sanitize';

export interface InputGuardResult {
  /** The text to send on: unchanged (flag), cleaned (sanitize), or empty when blocked. */
  text: string;
  /** What the scan found in the text as given. */
  findings: InjectionFinding[];
  blocked: boolean;
}

/** Sanitizing twice more catches markers that only appear once others are cut; past that, give up and block. */
const MAX_SANITIZE_PASSES = 3;

function cutFindings(text: string, findings: InjectionFinding[]): string {
  const spans: Array<{ start: number; end: number; kinds: Set<string> }> = [];
  for (const finding of findings) {
    const last = spans[spans.length - 1];
    if (last && finding.start <= last.end) {
      last.end = Math.max(last.end, finding.end);
      last.kinds.add(finding.kind);
    } else spans.push({ start: finding.start, end: finding.end, kinds: new Set([finding.kind]) });
  }
  let result = text;
  for (const span of spans.reverse()) {
    // Invisible characters alone are simply dropped; anything else leaves a visible marker of what was removed.
    const onlyInvisible = span.kinds.size === 1 && span.kinds.has('invisible_characters');
    const marker = onlyInvisible ? '' : `[removed: ${[...span.kinds].sort().join(', ')}]`;
    result = result.slice(0, span.start) + marker + result.slice(span.end);
  }
  return result;
}

export function applyInputGuard(text: string, policy: InputGuardPolicy): InputGuardResult {
  const findings = scanUntrustedText(text);
  if (findings.length === 0) return { text, findings, blocked: false };
  if (policy === 'block') return { text: '', findings, blocked: true };
  if (policy === 'flag') return { text, findings, blocked: false };
  let cleaned = text;
  let remaining = findings;
  for (let pass = 0; pass < MAX_SANITIZE_PASSES && remaining.length > 0; pass += 1) {
    cleaned = cutFindings(cleaned, remaining);
    remaining = scanUntrustedText(cleaned);
  }
  return remaining.length === 0 ? { text: cleaned, findings, blocked: false } : { text: '', findings, blocked: true };
}

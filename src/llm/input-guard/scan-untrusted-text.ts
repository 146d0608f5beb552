// Scans untrusted text (run input, tool results, retrieved content) for prompt-injection markers before a model
// sees it. Findings carry kind, rule and span, never the text itself, so they can go to the audit trail. Pure.
import { decodeBlob } from './decode-blob';
import { BASE64_BLOB, HEX_BLOB, INJECTION_RULES, type InjectionKind } from './rules';
import { buildSkeleton, toOriginalSpan } from './skeleton';

export interface InjectionFinding {
  kind: InjectionKind;
  /** The rule that matched (see rules.ts). */
  rule: string;
  /** Span in the scanned text, as UTF-16 offsets [start, end). */
  start: number;
  end: number;
  /** Set when the instruction was hidden in an encoded blob or in invisible tag characters. */
  hidden?: true;
}

/** Encoded content is decoded and rescanned this many levels deep (base64 inside base64, …). */
const MAX_DECODE_DEPTH = 2;

function scanPatterns(text: string): InjectionFinding[] {
  const found: InjectionFinding[] = [];
  for (const rule of INJECTION_RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      found.push({ kind: rule.kind, rule: rule.id, start: match.index, end: match.index + match[0].length });
    }
  }
  return found;
}

function isMixedBase64(blob: string): boolean {
  return /[A-Z]/.test(blob) && /[a-z]/.test(blob) && /[0-9]/.test(blob);
}

function scanAt(text: string, depth: number): InjectionFinding[] {
  const skeleton = buildSkeleton(text);
  const findings: InjectionFinding[] = skeleton.invisibleRuns.map(([start, end]) => ({
    kind: 'invisible_characters',
    rule: 'invisible-characters',
    start,
    end,
  }));
  for (const finding of scanPatterns(skeleton.text)) {
    const [start, end] = toOriginalSpan(skeleton, finding.start, finding.end);
    findings.push({ ...finding, start, end });
  }
  for (const smuggled of skeleton.smuggled) {
    for (const inner of scanAt(smuggled.text, depth + 1)) findings.push({ kind: inner.kind, rule: inner.rule, start: smuggled.start, end: smuggled.end, hidden: true });
  }
  const blobs: Array<[RegExp, 'base64' | 'hex']> = [
    [HEX_BLOB, 'hex'],
    [BASE64_BLOB, 'base64'],
  ];
  for (const [pattern, encoding] of blobs) {
    for (const match of skeleton.text.matchAll(pattern)) {
      if (encoding === 'base64' && (!isMixedBase64(match[0]) || /^(?:0x)?[0-9a-fA-F]+$/.test(match[0]))) continue;
      const [start, end] = toOriginalSpan(skeleton, match.index, match.index + match[0].length);
      findings.push({ kind: 'encoded_payload', rule: `${encoding}-blob`, start, end });
      const decoded = depth < MAX_DECODE_DEPTH ? decodeBlob(match[0], encoding) : undefined;
      if (decoded === undefined) continue;
      for (const inner of scanAt(decoded, depth + 1)) {
        if (inner.kind !== 'encoded_payload') findings.push({ kind: inner.kind, rule: inner.rule, start, end, hidden: true });
      }
    }
  }
  return findings;
}

/** Every injection marker in `text`, ordered by position. */
export function scanUntrustedText(text: string): InjectionFinding[] {
  return scanAt(text, 0).sort((left, right) => left.start - right.start || left.end - right.end);
}

// Email addresses: found by scanning for `@` and growing outwards, far cheaper than a regex run at every offset.
import type { PiiSpan } from '../types';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
// Image names like `logo@2x.png` have the shape of an address; these endings are never real TLDs in practice.
const FILE_ENDINGS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'tiff', 'pdf']);

// RFC 5322 atext minus `*` (masked addresses like `j***@example.com` must not be found again) and `=`
// (log lines write `user=alice@example.com`).
function isLocalChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
    code === 46 || code === 95 || code === 45 || code === 43 || code === 37 || code === 33 || code === 35 ||
    code === 36 || code === 38 || code === 39 || code === 63 || code === 94 || code === 96 ||
    code === 123 || code === 124 || code === 125 || code === 126
  );
}

function isDomainChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 46;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Returns the end of a valid domain starting at `from`, or -1. */
function scanDomain(text: string, from: number): number {
  let end = from;
  const limit = Math.min(text.length, from + MAX_DOMAIN);
  while (end < limit && isDomainChar(text.charCodeAt(end))) end++;
  // a sentence may end right after the address
  while (end > from && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  const labels = text.slice(from, end).split('.');
  if (labels.length < 2) return -1;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return -1;
  }
  const tld = labels[labels.length - 1]!;
  if (tld.length < 2 || tld.length > 24 || FILE_ENDINGS.has(tld.toLowerCase())) return -1;
  for (let i = 0; i < tld.length; i++) if (!isLetter(tld.charCodeAt(i))) return -1;
  return end;
}

export function detectEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  let at = text.indexOf('@');
  let floor = 0;
  while (at !== -1) {
    let start = at;
    const limit = Math.max(floor, at - MAX_LOCAL);
    while (start > limit && isLocalChar(text.charCodeAt(start - 1))) start--;
    // leading dots belong to the surrounding text (ellipses), not the address
    while (start < at && text.charCodeAt(start) === 46) start++;
    const local = text.slice(start, at);
    const end = local.length > 0 && !local.endsWith('.') && !local.includes('..') ? scanDomain(text, at + 1) : -1;
    if (end !== -1) {
      spans.push({ type: 'email', start, end });
      floor = end;
    }
    at = text.indexOf('@', Math.max(at + 1, end));
  }
  return spans;
}

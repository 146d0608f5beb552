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

/** Whether the label `text.slice(from, to)` is 1-63 characters and neither starts nor ends with `-`. */
function isLabel(text: string, from: number, to: number): boolean {
  return to > from && to - from <= 63 && text.charCodeAt(from) !== 45 && text.charCodeAt(to - 1) !== 45;
}

/** Whether the top-level domain `text.slice(from, to)` is 2-24 letters and not a file ending. */
function isTopLevelDomain(text: string, from: number, to: number): boolean {
  if (to - from < 2 || to - from > 24) return false;
  for (let i = from; i < to; i++) if (!isLetter(text.charCodeAt(i))) return false;
  return !FILE_ENDINGS.has(text.slice(from, to).toLowerCase());
}

/** Returns the end of a valid domain starting at `from`, or -1. Labels are checked in place, not split out. */
function scanDomain(text: string, from: number): number {
  let end = from;
  const limit = Math.min(text.length, from + MAX_DOMAIN);
  while (end < limit && isDomainChar(text.charCodeAt(end))) end++;
  // a sentence may end right after the address
  while (end > from && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  let labelStart = from;
  for (let i = from; i < end; i++) {
    if (text.charCodeAt(i) !== 46) continue;
    if (!isLabel(text, labelStart, i)) return -1;
    labelStart = i + 1;
  }
  // no dot: a bare host (`user@localhost`) is not an address
  if (labelStart === from) return -1;
  return isLabel(text, labelStart, end) && isTopLevelDomain(text, labelStart, end) ? end : -1;
}

/** Whether `text.slice(start, at)` is a usable local part: not empty, no trailing dot, no `..`. */
function isLocalPart(text: string, start: number, at: number): boolean {
  if (start >= at || text.charCodeAt(at - 1) === 46) return false;
  for (let i = start; i < at - 1; i++) if (text.charCodeAt(i) === 46 && text.charCodeAt(i + 1) === 46) return false;
  return true;
}

export function detectEmails(text: string, spans: PiiSpan[]): void {
  let at = text.indexOf('@');
  let floor = 0;
  while (at !== -1) {
    let start = at;
    const limit = Math.max(floor, at - MAX_LOCAL);
    while (start > limit && isLocalChar(text.charCodeAt(start - 1))) start--;
    // leading dots belong to the surrounding text (ellipses), not the address
    while (start < at && text.charCodeAt(start) === 46) start++;
    const end = isLocalPart(text, start, at) ? scanDomain(text, at + 1) : -1;
    if (end !== -1) {
      spans.push({ type: 'email', start, end });
      floor = end;
    }
    at = text.indexOf('@', Math.max(at + 1, end));
  }
}

// IPv4 and IPv6 addresses. A URL's host is infrastructure, not a person, so `scheme://1.2.3.4/` is not reported;
// an address anywhere else (logs, query strings, prose) is. Dotted runs that are versions (`1.2.3.4-beta`,
// `version 10.0.0.1`) or OIDs (`1.3.6.1.4.1`) are skipped.
import { isIPv6 } from 'node:net';
import type { PiiSpan } from '../types';
import { isDigit, isUrlHost, isWordChar, precededBy } from '../context';

const IPV4_AT = /(?<![\w.*\]])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d|-[A-Za-z])/y;
const DOTTED_DIGITS = /\.\d{1,3}\./g;
const IPV6_AT = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/y;
const COLON_PAIR = /:[0-9A-Fa-f]{0,4}:/g;
const VERSION_CONTEXT = /\b(?:version|ver|release|build|firmware|fw|sdk|api|oid|v)\.?\s*$/;

function isOctet(part: string): boolean {
  return (part.length === 1 || part[0] !== '0') && Number(part) <= 255;
}

// Prose has dots everywhere; an address's first dot sits one to three digits in and is followed by one to
// three digits and another dot. The pattern is only tried just before such a dot, as with IPv6 below.
function detectIpv4(text: string, spans: PiiSpan[]): void {
  let from = 0;
  for (;;) {
    DOTTED_DIGITS.lastIndex = from;
    const dot = DOTTED_DIGITS.exec(text);
    if (dot === null) return;
    const m = matchBetween(IPV4_AT, text, Math.max(from, dot.index - 3), dot.index - 1);
    if (m === null) {
      from = dot.index + 1;
      continue;
    }
    from = m.index + m[0].length;
    if (!isOctet(m[1]!) || !isOctet(m[2]!) || !isOctet(m[3]!) || !isOctet(m[4]!)) continue;
    if (isUrlHost(text, m.index) || precededBy(text, m.index, 16, VERSION_CONTEXT)) continue;
    spans.push({ type: 'ip_address', start: m.index, end: m.index + m[0].length });
  }
}

function hasDigit(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isDigit(value.charCodeAt(i))) return true;
  return false;
}

/** The match of sticky `pattern` starting somewhere in [from, to], tried left to right, or null. */
function matchBetween(pattern: RegExp, text: string, from: number, to: number): RegExpExecArray | null {
  for (let at = from; at <= to; at++) {
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m !== null) return m;
  }
  return null;
}

// Running IPV6 over the whole text tries it at every hex letter of the prose. Every address opens with two
// colons at most four hex digits apart, the first within four characters of its start: so the pattern is
// only tried just before such a pair, which finds exactly the matches a full scan would.
function detectIpv6(text: string, spans: PiiSpan[]): void {
  let from = 0;
  for (;;) {
    COLON_PAIR.lastIndex = from;
    const pair = COLON_PAIR.exec(text);
    if (pair === null) return;
    const m = matchBetween(IPV6_AT, text, Math.max(from, pair.index - 4), pair.index);
    if (m === null) {
      from = pair.index + 1;
      continue;
    }
    from = m.index + m[0].length;
    let value = m[0];
    // "at 10:30: fe80::1" style trailing colons belong to prose
    if (value.endsWith(':') && !value.endsWith('::')) value = value.slice(0, -1);
    // `Foo::Bar` in code is hex-letters and colons only; a real address has a digit somewhere
    if (value.length < 3 || !hasDigit(value) || !isIPv6(value)) continue;
    if (isUrlHost(text, m.index)) continue;
    const end = m.index + value.length;
    if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
    spans.push({ type: 'ip_address', start: m.index, end });
  }
}

export function detectIpAddresses(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  if (text.indexOf('.') !== -1) detectIpv4(text, spans);
  if (text.indexOf(':') !== -1) detectIpv6(text, spans);
  return spans;
}

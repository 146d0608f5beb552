// IPv4 and IPv6 addresses. A URL's host is infrastructure, not a person, so `scheme://1.2.3.4/` is not reported;
// an address anywhere else (logs, query strings, prose) is. Dotted runs that are versions (`1.2.3.4-beta`,
// `version 10.0.0.1`) or OIDs (`1.3.6.1.4.1`) are skipped.
import { isIPv6 } from 'node:net';
import type { PiiSpan } from '../types';
import { isAsciiLetter, isDigit, isUrlHost, isWordChar, precededBy } from '../context';
import { RUN_FIELDS, type NumberRuns } from '../number-runs';

const IPV6_AT = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/y;
const VERSION_CONTEXT = /\b(?:version|ver|release|build|firmware|fw|sdk|api|oid|v)\.?\s*$/;

/**
 * Where the dotted quad starting at `at` ends, or -1: four groups of one to three digits joined by dots, not
 * followed by a word character, a dot and a digit, or a dash and a letter. A group is all the digits in a row
 * (one of four digits is no group), so a quad is read in one pass, with no backtracking and no match built.
 * `octets` says whether each group is an octet: at most 255, with no leading zero.
 */
function dottedQuadEnd(text: string, at: number, octets: { valid: boolean }): number {
  let i = at;
  octets.valid = true;
  for (let group = 0; group < 4; group++) {
    if (group > 0) {
      if (text.charCodeAt(i) !== 46) return -1;
      i++;
    }
    const groupStart = i;
    let value = 0;
    while (i - groupStart < 4 && isDigit(text.charCodeAt(i))) value = value * 10 + text.charCodeAt(i++) - 48;
    const length = i - groupStart;
    if (length === 0 || length > 3) return -1;
    if (value > 255 || (length > 1 && text.charCodeAt(groupStart) === 48)) octets.valid = false;
  }
  const next = text.charCodeAt(i);
  if (isWordChar(next)) return -1;
  if (next === 46 && isDigit(text.charCodeAt(i + 1))) return -1;
  if (next === 45 && isAsciiLetter(text.charCodeAt(i + 1))) return -1;
  return i;
}

// Scratch for dottedQuadEnd's verdict on its groups: detection is synchronous.
const quadOctets = { valid: false };

// Prose has dots everywhere; an address's first dot sits one to three digits in and is followed by one to
// three digits and another dot. The pattern is only tried just before such a dot, as with IPv6 below, and only
// in number runs with the four digits and three dots an address holds.
function detectIpv4(text: string, runs: NumberRuns, spans: PiiSpan[]): void {
  for (let at = 0; at < runs.runCount * RUN_FIELDS; at += RUN_FIELDS) {
    if (runs.runs[at + 3]! >= 3) detectIpv4InRun(text, runs.runs[at]!, runs.runs[at + 1]!, spans);
  }
}

/** The index of the next `.` at or after `from` (before `end`) followed by one to three digits and a `.`, or -1. */
function findDottedDigits(text: string, from: number, end: number): number {
  for (let dot = text.indexOf('.', from); dot !== -1 && dot < end; dot = text.indexOf('.', dot + 1)) {
    let digits = 0;
    while (digits < 4 && isDigit(text.charCodeAt(dot + 1 + digits))) digits++;
    if (digits >= 1 && digits <= 3 && text.charCodeAt(dot + 1 + digits) === 46) return dot;
  }
  return -1;
}

function detectIpv4InRun(text: string, runStart: number, runEnd: number, spans: PiiSpan[]): void {
  let from = runStart;
  for (;;) {
    const dot = findDottedDigits(text, from, runEnd);
    if (dot === -1) return;
    let start = -1;
    let end = -1;
    for (let at = Math.max(from, dot - 3); at <= dot - 1 && end === -1; at++) {
      if (!mayStartIpv4(text, at)) continue;
      start = at;
      end = dottedQuadEnd(text, at, quadOctets);
    }
    if (end === -1) {
      from = dot + 1;
      continue;
    }
    from = end;
    if (!quadOctets.valid) continue;
    if (isUrlHost(text, start) || precededBy(text, start, 16, VERSION_CONTEXT)) continue;
    spans.push({ type: 'ip_address', start, end });
  }
}

function hasDigit(value: string): boolean {
  const length = value.length;
  for (let i = 0; i < length; i++) if (isDigit(value.charCodeAt(i))) return true;
  return false;
}

/**
 * A necessary condition for `isIPv6`, far cheaper than its pattern, which clock times and MAC addresses would
 * otherwise reach: an address either shortens zeros with `::` or writes all eight groups (seven colons), or six
 * groups and an IPv4 tail (six colons and a dot).
 */
function mayBeIpv6(value: string): boolean {
  if (value.includes('::')) return true;
  let colons = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) if (value.charCodeAt(i) === 58) colons++;
  return colons === 7 || (colons === 6 && value.includes('.'));
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

// What each pattern asks of its first character and of the one before it (its lookbehind), checked before
// running it: most positions tried fail here.
function mayStartIpv4(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  return isDigit(text.charCodeAt(at)) && !isWordChar(before) && before !== 46 && before !== 42 && before !== 93;
}

function mayStartIpv6(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  const first = text.charCodeAt(at);
  return (isHexDigit(first) || first === 58) && !isWordChar(before) && before !== 58 && before !== 46;
}

/** The match of sticky `pattern` starting somewhere in [from, to], tried left to right where `mayStart` allows, or null. */
function matchBetween(
  pattern: RegExp,
  text: string,
  from: number,
  to: number,
  mayStart: (text: string, at: number) => boolean,
): RegExpExecArray | null {
  for (let at = from; at <= to; at++) {
    if (!mayStart(text, at)) continue;
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m !== null) return m;
  }
  return null;
}

/** The index of the next `:` at or after `from` followed by at most four hex digits and another `:`, or -1. */
function findColonPair(text: string, from: number): number {
  for (let colon = text.indexOf(':', from); colon !== -1; colon = text.indexOf(':', colon + 1)) {
    let hex = 0;
    while (hex < 5 && isHexDigit(text.charCodeAt(colon + 1 + hex))) hex++;
    if (hex <= 4 && text.charCodeAt(colon + 1 + hex) === 58) return colon;
  }
  return -1;
}

// Running IPV6 over the whole text tries it at every hex letter of the prose. Every address opens with two
// colons at most four hex digits apart, the first within four characters of its start: so the pattern is
// only tried just before such a pair, which finds exactly the matches a full scan would.
function detectIpv6(text: string, spans: PiiSpan[]): void {
  let from = 0;
  for (;;) {
    const pair = findColonPair(text, from);
    if (pair === -1) return;
    const m = matchBetween(IPV6_AT, text, Math.max(from, pair - 4), pair, mayStartIpv6);
    if (m === null) {
      from = pair + 1;
      continue;
    }
    from = m.index + m[0].length;
    let value = m[0];
    // "at 10:30: fe80::1" style trailing colons belong to prose
    if (value.endsWith(':') && !value.endsWith('::')) value = value.slice(0, -1);
    // `Foo::Bar` in code is hex-letters and colons only; a real address has a digit somewhere
    if (value.length < 3 || !hasDigit(value) || !mayBeIpv6(value) || !isIPv6(value)) continue;
    if (isUrlHost(text, m.index)) continue;
    const end = m.index + value.length;
    if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
    spans.push({ type: 'ip_address', start: m.index, end });
  }
}

export function detectIpAddresses(text: string, runs: NumberRuns, spans: PiiSpan[]): void {
  detectIpv4(text, runs, spans);
  if (text.indexOf(':') !== -1) detectIpv6(text, spans);
}

// IPv4 and IPv6 addresses. A URL's host is infrastructure, not a person, so `scheme://1.2.3.4/` is not reported;
// an address anywhere else (logs, query strings, prose) is. Dotted runs that are versions (`1.2.3.4-beta`,
// `version 10.0.0.1`) or OIDs (`1.3.6.1.4.1`) are skipped.
import { isIPv6 } from 'node:net';
import type { PiiSpan } from '../types';
import { isDigit, isUrlHost, isWordChar, precededBy } from '../context';

const IPV4 = /(?<![\w.*\]])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d|-[A-Za-z])/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g;
const VERSION_CONTEXT = /\b(?:version|ver|release|build|firmware|fw|sdk|api|oid|v)\.?\s*$/;

function isOctet(part: string): boolean {
  return (part.length === 1 || part[0] !== '0') && Number(part) <= 255;
}

function detectIpv4(text: string, spans: PiiSpan[]): void {
  IPV4.lastIndex = 0;
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    if (!isOctet(m[1]!) || !isOctet(m[2]!) || !isOctet(m[3]!) || !isOctet(m[4]!)) continue;
    if (isUrlHost(text, m.index) || precededBy(text, m.index, 16, VERSION_CONTEXT)) continue;
    spans.push({ type: 'ip_address', start: m.index, end: m.index + m[0].length });
  }
}

function hasDigit(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isDigit(value.charCodeAt(i))) return true;
  return false;
}

function detectIpv6(text: string, spans: PiiSpan[]): void {
  IPV6.lastIndex = 0;
  for (let m = IPV6.exec(text); m !== null; m = IPV6.exec(text)) {
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

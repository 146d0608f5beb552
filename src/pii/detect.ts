// The detection entry point: compiles the chosen detectors once and returns ordered, non-overlapping spans.
import { BUILTIN_DETECTORS, type BuiltinDetector, type CustomDetector } from './policy';
import type { DetectFn, PiiSpan } from './types';
import { detectEmails } from './detectors/email';
import { createPhoneDetector, type PhoneOptions } from './detectors/phone';
import { detectSsns } from './detectors/ssn';
import { detectCreditCards } from './detectors/credit-card';
import { detectIbans } from './detectors/iban';
import { detectIpAddresses } from './detectors/ip-address';
import { createCustomDetector } from './detectors/custom';
import { findMarkers } from './markers';
import { resolveOverlaps } from './resolve-overlaps';

export interface DetectOptions {
  /** Built-in detectors to run; all of them when omitted. */
  readonly detectors?: readonly BuiltinDetector[];
  /** Detectors declared in a data policy. */
  readonly customDetectors?: readonly CustomDetector[];
  readonly phone?: PhoneOptions;
}

export interface PiiDetector {
  detect(text: string): PiiSpan[];
}

const MAX_CACHED_DETECTORS = 64;
const cache = new Map<string, PiiDetector>();

function createBuiltin(name: BuiltinDetector, options: DetectOptions): DetectFn {
  switch (name) {
    case 'email': return detectEmails;
    case 'phone': return createPhoneDetector(options.phone);
    case 'ssn': return detectSsns;
    case 'credit_card': return detectCreditCards;
    case 'iban': return detectIbans;
    case 'ip_address': return detectIpAddresses;
  }
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
}

function overlapsAny(span: PiiSpan, markers: readonly PiiSpan[]): boolean {
  return markers.some((m) => span.start < m.end && span.end > m.start);
}

export function createPiiDetector(options: DetectOptions = {}): PiiDetector {
  const names = [...new Set(options.detectors ?? BUILTIN_DETECTORS)];
  // every built-in but email needs a digit, so digit-free text skips them all
  const needsDigit = names.filter((n) => n !== 'email').map((n) => createBuiltin(n, options));
  const always = [
    ...(names.includes('email') ? [detectEmails] : []),
    ...(options.customDetectors ?? []).map(createCustomDetector),
  ];
  return {
    detect(text: string): PiiSpan[] {
      if (text.length < 3) return [];
      const spans: PiiSpan[] = [];
      for (const detect of always) spans.push(...detect(text));
      if (hasDigit(text)) for (const detect of needsDigit) spans.push(...detect(text));
      if (spans.length === 0) return spans;
      const markers = findMarkers(text);
      return resolveOverlaps(markers.length === 0 ? spans : spans.filter((s) => !overlapsAny(s, markers)));
    },
  };
}

/** Finds PII in `text` with the detectors `options` name, compiling them on first use. */
export function detectPii(text: string, options: DetectOptions = {}): PiiSpan[] {
  const key = JSON.stringify([options.detectors ?? null, options.customDetectors ?? null, options.phone ?? null]);
  let detector = cache.get(key);
  if (detector === undefined) {
    detector = createPiiDetector(options);
    if (cache.size >= MAX_CACHED_DETECTORS) cache.delete(cache.keys().next().value!);
    cache.set(key, detector);
  }
  return detector.detect(text);
}

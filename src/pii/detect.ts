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
import { hasDigit, mayHoldPhone, mayHoldSsn } from './pre-checks';

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

type DigitDetector = Exclude<BuiltinDetector, 'email'>;

function isDigitDetector(name: BuiltinDetector): name is DigitDetector {
  return name !== 'email';
}

interface Builtin {
  readonly detect: DetectFn;
  /** False when a cheap check shows no match is possible, so the detector need not look. */
  readonly canMatch: (text: string) => boolean;
}

const ALWAYS = (): boolean => true;

// Each check asks for the fewest digits the detector's shortest candidate holds, so skipping never loses a match.
function createDigitBuiltin(name: DigitDetector, options: DetectOptions): Builtin {
  switch (name) {
    case 'phone': return { detect: createPhoneDetector(options.phone), canMatch: mayHoldPhone };
    case 'ssn': return { detect: detectSsns, canMatch: mayHoldSsn };
    // cards, IBANs and IPs: the detector's own candidate pattern rejects a text as cheaply as a check would
    case 'credit_card': return { detect: detectCreditCards, canMatch: ALWAYS };
    case 'iban': return { detect: detectIbans, canMatch: ALWAYS };
    case 'ip_address': return { detect: detectIpAddresses, canMatch: ALWAYS };
  }
}

function overlapsAny(span: PiiSpan, markers: readonly PiiSpan[]): boolean {
  return markers.some((m) => span.start < m.end && span.end > m.start);
}

function pushAll(into: PiiSpan[], spans: readonly PiiSpan[]): void {
  for (let i = 0; i < spans.length; i++) into.push(spans[i]!);
}

export function createPiiDetector(options: DetectOptions = {}): PiiDetector {
  const names = [...new Set(options.detectors ?? BUILTIN_DETECTORS)];
  const email = names.includes('email') ? detectEmails : undefined;
  // every built-in but email needs a digit; text without one skips them all
  const needsDigit = names.filter(isDigitDetector).map((n) => createDigitBuiltin(n, options));
  const custom = (options.customDetectors ?? []).map(createCustomDetector);
  return {
    detect(text: string): PiiSpan[] {
      if (text.length < 3) return [];
      const spans: PiiSpan[] = [];
      if (email !== undefined && text.indexOf('@') !== -1) pushAll(spans, email(text));
      for (const detect of custom) pushAll(spans, detect(text));
      if (needsDigit.length > 0 && hasDigit(text)) {
        for (const builtin of needsDigit) if (builtin.canMatch(text)) pushAll(spans, builtin.detect(text));
      }
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

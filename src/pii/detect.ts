// The detection entry point: compiles the chosen detectors once and returns ordered, non-overlapping spans.
import { BUILTIN_DETECTORS, type BuiltinDetector, type CustomDetector } from './policy';
import type { PiiSpan } from './types';
import { detectEmails } from './detectors/email';
import { createPhoneDetector, type PhoneOptions } from './detectors/phone';
import { detectSsns } from './detectors/ssn';
import { detectCreditCards } from './detectors/credit-card';
import { detectIbans } from './detectors/iban';
import { detectIpAddresses } from './detectors/ip-address';
import { createCustomDetector } from './detectors/custom';
import { findMarkers } from './markers';
import { resolveOverlaps } from './resolve-overlaps';
import { createNumberRuns, findNumberRuns, type NumberRuns } from './number-runs';

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

type DigitDetectorName = Exclude<BuiltinDetector, 'email'>;
/** A detector that needs a digit: it searches where one scan of the text found numbers and adds to `spans`. */
type DigitDetector = (text: string, runs: NumberRuns, spans: PiiSpan[]) => void;

function isDigitDetector(name: BuiltinDetector): name is DigitDetectorName {
  return name !== 'email';
}

function createDigitDetector(name: DigitDetectorName, options: DetectOptions): DigitDetector {
  switch (name) {
    case 'phone': return createPhoneDetector(options.phone);
    case 'ssn': return detectSsns;
    case 'credit_card': return detectCreditCards;
    case 'iban': return (text, _runs, spans) => detectIbans(text, spans);
    case 'ip_address': return detectIpAddresses;
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
  const digitDetectors = names.filter(isDigitDetector).map((n) => createDigitDetector(n, options));
  const custom = (options.customDetectors ?? []).map(createCustomDetector);
  // Refilled for each text, so scanning allocates nothing once grown. Detection is synchronous: one
  // detector's scratch is never used by two calls at once.
  const runs = createNumberRuns();
  return {
    detect(text: string): PiiSpan[] {
      if (text.length < 3) return [];
      const found: PiiSpan[] = [];
      if (email !== undefined && text.indexOf('@') !== -1) email(text, found);
      for (let i = 0; i < custom.length; i++) pushAll(found, custom[i]!(text));
      // every built-in but email needs a digit; one scan tells them all where the numbers are
      if (digitDetectors.length > 0 && findNumberRuns(text, runs)) {
        for (let i = 0; i < digitDetectors.length; i++) digitDetectors[i]!(text, runs, found);
      }
      if (found.length === 0) return found;
      const markers = findMarkers(text);
      return resolveOverlaps(markers.length === 0 ? found : found.filter((s) => !overlapsAny(s, markers)));
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

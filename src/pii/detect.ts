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
  /**
   * Whether the last `detect` returned every span its detectors found (none lost an overlap or lay on a marker)
   * and ran no custom detector: what `masksAreFinal` (src/pii/final-masks.ts) asks of the spans it judges.
   */
  keptEverything(): boolean;
}

const MAX_CACHED_DETECTORS = 64;
const cache = new Map<string, PiiDetector>();

type DigitDetectorName = Exclude<BuiltinDetector, 'email' | 'phone'>;
/** A detector that needs a digit: it searches where one scan of the text found numbers and adds to `spans`. */
type DigitDetector = (text: string, runs: NumberRuns, spans: PiiSpan[]) => void;

function isDigitDetector(name: BuiltinDetector): name is DigitDetectorName {
  return name !== 'email' && name !== 'phone';
}

function createDigitDetector(name: DigitDetectorName): DigitDetector {
  switch (name) {
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

/** Whether every span of `shadows` is one of `kept`. */
function allKept(shadows: readonly PiiSpan[], kept: readonly PiiSpan[]): boolean {
  for (let i = 0; i < shadows.length; i++) if (!kept.includes(shadows[i]!)) return false;
  return true;
}

export function createPiiDetector(options: DetectOptions = {}): PiiDetector {
  const names = [...new Set(options.detectors ?? BUILTIN_DETECTORS)];
  const email = names.includes('email') ? detectEmails : undefined;
  const digitDetectors = names.filter(isDigitDetector).map(createDigitDetector);
  // phone runs after the others, and skips its candidates that lie inside what they found
  const phone = names.includes('phone') ? createPhoneDetector(options.phone) : undefined;
  const custom = (options.customDetectors ?? []).map(createCustomDetector);
  // Refilled for each text, so scanning allocates nothing once grown. Detection is synchronous: one
  // detector's scratch is never used by two calls at once.
  const runs = createNumberRuns();
  const shadows: PiiSpan[] = [];
  let keptEverything = false;

  /** Every detector's spans, overlaps and all; phone skips candidates inside `shadows`' spans when given it. */
  function findAll(text: string, shadows: PiiSpan[] | undefined): PiiSpan[] {
    const found: PiiSpan[] = [];
    if (email !== undefined && text.indexOf('@') !== -1) email(text, found);
    for (let i = 0; i < custom.length; i++) pushAll(found, custom[i]!(text));
    // every built-in but email needs a digit; one scan tells them all where the numbers are
    if ((digitDetectors.length > 0 || phone !== undefined) && findNumberRuns(text, runs)) {
      for (let i = 0; i < digitDetectors.length; i++) digitDetectors[i]!(text, runs, found);
      phone?.(text, runs, found, shadows);
    }
    return found;
  }

  function resolve(text: string, found: PiiSpan[]): PiiSpan[] {
    keptEverything = custom.length === 0;
    if (found.length === 0) return found;
    const markers = findMarkers(text);
    // one find overlaps nothing: it is the answer as it is (detection's own array, nobody else holds it)
    if (found.length === 1 && markers.length === 0 && found[0]!.end > found[0]!.start) return found;
    const kept = resolveOverlaps(markers.length === 0 ? found : found.filter((s) => !overlapsAny(s, markers)));
    keptEverything &&= kept.length === found.length;
    return kept;
  }

  return {
    detect(text: string): PiiSpan[] {
      if (text.length < 3) {
        keptEverything = custom.length === 0;
        return [];
      }
      shadows.length = 0;
      const spans = resolve(text, findAll(text, shadows));
      if (shadows.length === 0 || allKept(shadows, spans)) return spans;
      // A skipped phone lost to the span it lay in only if that span is kept; when one is not (a longer find
      // overlapped it), judge every candidate after all.
      return resolve(text, findAll(text, undefined));
    },
    keptEverything: () => keptEverything,
  };
}

/** The detector for `options`, compiled on first use and kept for the next caller asking for the same. */
export function cachedPiiDetector(options: DetectOptions = {}): PiiDetector {
  const key = JSON.stringify([options.detectors ?? null, options.customDetectors ?? null, options.phone ?? null]);
  let detector = cache.get(key);
  if (detector === undefined) {
    detector = createPiiDetector(options);
    if (cache.size >= MAX_CACHED_DETECTORS) cache.delete(cache.keys().next().value!);
    cache.set(key, detector);
  }
  return detector;
}

/** Finds PII in `text` with the detectors `options` name, compiling them on first use. */
export function detectPii(text: string, options: DetectOptions = {}): PiiSpan[] {
  return cachedPiiDetector(options).detect(text);
}

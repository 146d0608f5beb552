// Redacting a string: replace each detected span by what the mode makes of it (mask, keyed hash, nothing).
// Tokenize is asynchronous and lives with the data-policy walker, which batches vault calls.
import type { RedactionMode } from './policy';
import type { PiiSpan, PiiType } from './types';
import { cachedPiiDetector, type DetectOptions, type PiiDetector } from './detect';
import { masksAreFinal } from './final-masks';
import { maskValue } from './mask';
import { assertHmacKey, hashValue } from './hash';

/**
 * What one detected value becomes. `text` and `start`, when given, say where the value was cut from (`value` is
 * `text.slice(start, start + value.length)`), for a replacer that reads the text rather than the slice.
 */
export type Replacer = (type: PiiType, value: string, text?: string, start?: number) => string;

export type SyncRedactionMode = Exclude<RedactionMode, 'tokenize'>;

export interface ReplacerContext {
  /** The tenant's HMAC key; required for `hash`. */
  readonly hmacKey?: Uint8Array;
}

export function createReplacer(mode: SyncRedactionMode, context: ReplacerContext = {}): Replacer {
  switch (mode) {
    case 'mask':
      return maskValue;
    case 'remove':
      return () => '';
    case 'hash': {
      const key = context.hmacKey;
      if (key === undefined) throw new TypeError('hash mode needs an hmacKey');
      assertHmacKey(key);
      return (type, value) => hashValue(type, value, key);
    }
  }
}

/**
 * Rebuilds `text` with every span (ordered, non-overlapping) replaced. The pieces are joined once into a flat
 * string: built with `+=`, a redacted value would be a tree of string fragments that the garbage collector has
 * to copy piece by piece for as long as the redacted document lives.
 */
export function replaceSpans(text: string, spans: readonly PiiSpan[], replace: Replacer): string {
  if (spans.length === 0) return text;
  // a field holding one value and nothing else: its replacement is the whole result
  const only = spans.length === 1 ? spans[0]! : undefined;
  if (only !== undefined && only.start === 0 && only.end === text.length) return replace(only.type, text, text, 0);
  const parts = new Array<string>(2 * spans.length + 1);
  let cursor = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    parts[2 * i] = text.slice(cursor, span.start);
    parts[2 * i + 1] = replace(span.type, text.slice(span.start, span.end), text, span.start);
    cursor = span.end;
  }
  parts[2 * spans.length] = text.slice(cursor);
  return parts.join('');
}

export interface RedactTextOptions extends DetectOptions, ReplacerContext {
  readonly mode: SyncRedactionMode;
}

// Redacting a value changes the text around it: cutting PII out can glue its neighbours into new PII
// ("fe80::1" + "1a@b.co"), and a mask or marker can end a run of digits where the value did ("008620000 10" was
// part of a longer run before the IP after it was masked). So redaction repeats until a round finds nothing
// new: redacting twice then changes nothing. Rounds only follow a round that found something, and masks and
// markers are never found again, so this ends fast.
const MAX_ROUNDS = 8;

/**
 * Whether masking `spans` (the last detection of `detector`, made on `text`) leaves nothing for another round to
 * find, so that round can be skipped. Only masks are judged: markers and removal change text in other ways.
 */
export type FinalCheck = (text: string, spans: readonly PiiSpan[]) => boolean;

/** The final check for masks made from `detector`'s detections. */
export function finalMaskCheck(detector: PiiDetector): FinalCheck {
  return (text, spans) => detector.keptEverything() && masksAreFinal(text, spans);
}

/** Applies `detect`'s spans, then re-detects until the text is clean, or until `isFinal` says it already is. */
export function redactDetected(text: string, detect: (text: string) => PiiSpan[], replace: Replacer, isFinal?: FinalCheck): string {
  const spans = detect(text);
  let out = replaceSpans(text, spans, replace);
  if (isFinal !== undefined && isFinal(text, spans)) return out;
  for (let round = 1; round < MAX_ROUNDS && out !== text; round++) {
    text = out;
    out = replaceSpans(text, detect(text), replace);
  }
  return out;
}

/** Detects and redacts PII in one string. */
export function redactText(text: string, options: RedactTextOptions): string {
  const detector = cachedPiiDetector(options);
  const isFinal = options.mode === 'mask' ? finalMaskCheck(detector) : undefined;
  return redactDetected(text, (t) => detector.detect(t), createReplacer(options.mode, options), isFinal);
}

// Applies a data policy to any JSON value: strings are scanned, values at `pii_fields` are PII whole,
// and each piece of PII becomes what `redaction_mode` says. The input is never modified: what the policy changes
// is copied, and parts it leaves as they are are the input's own.
import type { DataPolicy } from './policy';
import type { PiiSpan, PiiType } from './types';
import type { Tokenizer } from './tokenizer';
import { createPiiDetector, type PiiDetector } from './detect';
import { phoneOptionsFor } from './detectors/phone';
import { createReplacer, finalMaskCheck, redactDetected, replaceSpans, type FinalCheck, type Replacer } from './redact';
import { isMarker } from './markers';
import { isMasked } from './mask';
import { PiiError } from './errors';
import { appendPointer, findPiiFieldPointers } from './pii-field-pointers';
import { contextOfKey, detectInContext, type KeyContext } from './key-context';

export interface DataPolicyContext {
  /** The tenant's HMAC key (at least 16 bytes); used by `hash`. */
  readonly hmacKey: Uint8Array;
  /** The tenant's token vault; required by `tokenize`. */
  readonly tokenizer?: Tokenizer;
}

/** The type a whole `pii_fields` value gets when no single detector explains it. */
export const FIELD_TYPE = 'field';

const REMOVED = Symbol('removed');
type Walked = unknown;

interface Walker {
  /** Detection in the given key context. */
  readonly detectIn: (context: KeyContext | undefined) => (text: string) => PiiSpan[];
  readonly wholeDetector: PiiDetector;
  readonly fields: Set<string>;
  readonly replace: Replacer;
  /** Masking only: whether a string's first round of masks leaves nothing for another round to find. */
  readonly isFinal: FinalCheck | undefined;
  readonly mode: DataPolicy['redaction_mode'];
  /** Each distinct key redacted once: records in one document repeat the same keys thousands of times. */
  readonly redactedKeys: Map<string, string>;
}

// Enough for any schema; a document keyed by data (emails, ids) stops filling it and redacts the rest each time.
const MAX_REDACTED_KEYS = 4096;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A field value's type: the detector type when one span covers it all, else the generic field type. */
function typeOfWhole(core: string, walker: Walker): PiiType {
  const spans = walker.wholeDetector.detect(core);
  const only = spans.length === 1 ? spans[0]! : undefined;
  return only !== undefined && only.start === 0 && only.end === core.length ? only.type : FIELD_TYPE;
}

function redactWhole(text: string, walker: Walker): Walked {
  if (walker.mode === 'remove') return REMOVED;
  // surrounding whitespace is layout, not data; keeping it makes the result stable under a second pass
  const core = text.trim();
  // redacting twice must change nothing: leave earlier output alone
  if (isMarker(core) || (walker.mode === 'mask' && isMasked(core))) return text;
  const at = text.indexOf(core);
  return text.slice(0, at) + walker.replace(typeOfWhole(core, walker), core) + text.slice(at + core.length);
}

function redactString(text: string, walker: Walker, context: KeyContext | undefined): string {
  return redactDetected(text, walker.detectIn(context), walker.replace, walker.isFinal);
}

/** Detection in each key context, made once per walk: a function per string would be garbage per string. */
function createContextDetect(detector: PiiDetector): (context: KeyContext | undefined) => (text: string) => PiiSpan[] {
  const byContext = new Map<KeyContext | undefined, (text: string) => PiiSpan[]>();
  return (context) => {
    let detect = byContext.get(context);
    if (detect === undefined) {
      detect = (text) => detectInContext(detector, text, context);
      byContext.set(context, detect);
    }
    return detect;
  };
}

function redactKey(key: string, walker: Walker): string {
  let redacted = walker.redactedKeys.get(key);
  if (redacted === undefined) {
    redacted = redactString(key, walker, undefined);
    if (walker.redactedKeys.size < MAX_REDACTED_KEYS) walker.redactedKeys.set(key, redacted);
  }
  return redacted;
}

// Long integers may be phone or card numbers stored as numbers; shorter ones cannot be any PII we detect.
function redactNumber(value: number, walker: Walker, context: KeyContext | undefined): Walked {
  if (!Number.isInteger(value) || Math.abs(value) < 1_000_000) return value;
  const text = String(value);
  const spans = walker.detectIn(context)(text);
  if (spans.length === 0) return value;
  return walker.mode === 'remove' ? REMOVED : replaceSpans(text, spans, walker.replace);
}

/** `context`: what the innermost key above the value that names a kind of PII says it is (src/pii/key-context.ts). */
function walk(value: unknown, pointer: string, inField: boolean, walker: Walker, context?: KeyContext): Walked {
  const whole = inField || (walker.fields.size > 0 && walker.fields.has(pointer));
  if (typeof value === 'string') return whole ? redactWhole(value, walker) : redactString(value, walker, context);
  if (typeof value === 'number') return whole ? redactWhole(String(value), walker) : redactNumber(value, walker, context);
  if (typeof value === 'boolean' || typeof value === 'bigint') return whole ? redactWhole(String(value), walker) : value;
  if (value === null || typeof value !== 'object') return value;
  // Copy on write: a container is copied only once something in it changes, so clean parts of a document are
  // shared with the input rather than rebuilt (and kept alive twice while the rest is walked).
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const walked = walk(value[i], walker.fields.size > 0 ? appendPointer(pointer, i) : pointer, whole, walker, context);
      if (out === undefined) {
        if (walked === value[i]) continue;
        out = value.slice(0, i);
      }
      if (walked !== REMOVED) out.push(walked);
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  // for-in rather than Object.keys or entries: no array per object on documents with millions of them (a plain
  // object inherits no enumerable property)
  for (const key in value) {
    const walked = walk(value[key], walker.fields.size > 0 ? appendPointer(pointer, key) : pointer, whole, walker, contextOfKey(key) ?? context);
    // keys are data too (maps keyed by email); a colliding redacted key keeps the later entry
    const redactedKey = redactKey(key, walker);
    if (out === undefined) {
      if (walked === value[key] && redactedKey === key) continue;
      out = entriesBefore(value, key);
    }
    if (walked !== REMOVED) setEntry(out, redactedKey, walked);
  }
  return out ?? value;
}

/** Sets an own entry, `__proto__` too: JSON can hold that key, and assigning it would set the prototype instead. */
function setEntry(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

/** A copy of `value`'s entries that come before `key`. */
function entriesBefore(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const earlier in value) {
    if (earlier === key) break;
    setEntry(copy, earlier, value[earlier]);
  }
  return copy;
}

function createWalker(value: unknown, policy: DataPolicy, replace: Replacer): Walker {
  const detector = createPiiDetector({ detectors: policy.pii_detectors, customDetectors: policy.custom_detectors, phone: phoneOptionsFor(policy.phone_regions) });
  return {
    detectIn: createContextDetect(detector),
    wholeDetector: createPiiDetector({ customDetectors: policy.custom_detectors }),
    fields: findPiiFieldPointers(value, policy.pii_fields),
    replace,
    // A key's context ("phone: ") ends in `: `, so a span judged final in the value alone is final after it too.
    isFinal: policy.redaction_mode === 'mask' ? finalMaskCheck(detector) : undefined,
    mode: policy.redaction_mode,
    redactedKeys: new Map(),
  };
}

function finish(walked: Walked): unknown {
  // a policy that removes the whole document leaves JSON null, not undefined
  return walked === REMOVED ? null : walked;
}

/** The synchronous form, for every mode but `tokenize`. */
export function applyDataPolicySync(value: unknown, policy: DataPolicy, context: Pick<DataPolicyContext, 'hmacKey'>): unknown {
  if (policy.redaction_mode === 'tokenize') {
    throw new PiiError('TOKENIZER_REQUIRED', 'data_policy.redaction_mode: tokenize needs the asynchronous applyDataPolicy and a tokenizer');
  }
  const walker = createWalker(value, policy, createReplacer(policy.redaction_mode, context));
  return finish(walk(value, '', false, walker));
}

async function tokenizeAll(pairs: Map<string, [PiiType, string]>, tokenizer: Tokenizer): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  try {
    await Promise.all(
      [...pairs].map(async ([key, [type, text]]) => {
        tokens.set(key, await tokenizer.tokenize(type, text));
      }),
    );
  } catch (cause) {
    throw new PiiError('TOKENIZER_FAILED', 'data_policy.redaction_mode: the tokenizer failed', { cause });
  }
  return tokens;
}

/** Applies `policy` to `value`. Tokenize mode first gathers every distinct value, then asks the vault once each. */
export async function applyDataPolicy(value: unknown, policy: DataPolicy, context: DataPolicyContext): Promise<unknown> {
  if (policy.redaction_mode !== 'tokenize') return applyDataPolicySync(value, policy, context);
  const tokenizer = context.tokenizer;
  if (tokenizer === undefined) {
    throw new PiiError('TOKENIZER_REQUIRED', 'data_policy.redaction_mode: tokenize needs a tokenizer in the context');
  }
  const pairs = new Map<string, [PiiType, string]>();
  const keyOf = (type: PiiType, text: string): string => `${type}\u0000${text}`;
  const walker = createWalker(value, policy, (type, text) => {
    pairs.set(keyOf(type, text), [type, text]);
    return '';
  });
  walk(value, '', false, walker);
  const tokens = await tokenizeAll(pairs, tokenizer);
  const final: Walker = { ...walker, replace: (type, text) => tokens.get(keyOf(type, text))!, redactedKeys: new Map() };
  return finish(walk(value, '', false, final));
}

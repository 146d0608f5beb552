// The last line of defence: every resolved secret value is remembered, and any text, JSON or error leaving an
// activity is scrubbed of it (`[secret:<name>]`) — as it is and in the encodings a target may echo it in (base64,
// base64url, hex, URL-encoding) — before it can reach Temporal history, logs or the audit trail. Every scrubber of
// the process is also applied by the log formatter (`scrubLogValue`), so a log line is clean even when nothing
// scrubbed its content before it was logged.
import { encodedFormsOf, type SecretEncoding } from './encoded-forms';
import { currentScrubOrigin } from './scrub-origin';
import type { SecurityEventListener } from './types';

type Where = 'text' | 'json' | 'error' | 'log';

export interface Scrubber {
  /** Remembers a resolved value under its secret name. */
  remember(name: string, value: string, tenant?: string): void;
  scrubText(text: string, where?: Where): string;
  /** A copy of `value` with every string (and object key) scrubbed; arrays and plain objects are walked. */
  scrubJson<T>(value: T, where?: Where): T;
  /** Scrubs the error's message and stack in place, then its cause and aggregated errors; returns it. */
  scrubError<E>(error: E): E;
}

export interface ScrubberOptions {
  onSecurityEvent?: SecurityEventListener;
}

/** Shorter values would be replaced inside ordinary words; a secret that short is not a secret worth the name. */
export const MIN_SCRUBBED_LENGTH = 4;

interface Remembered {
  name: string;
  tenant?: string;
  encoding: SecretEncoding;
}

interface Hit {
  owner: Remembered;
  encodings: Set<SecretEncoding>;
}

/** The scrubbers of this process, held weakly: the log formatter applies each one that is still alive. */
const processScrubbers = new Set<WeakRef<Scrubber>>();

/** `value` (a log line's fields or message) scrubbed by every scrubber of the process; a hit is reported. */
export function scrubLogValue<T>(value: T): T {
  let scrubbed = value;
  for (const ref of processScrubbers) {
    const scrubber = ref.deref();
    if (scrubber === undefined) processScrubbers.delete(ref);
    else scrubbed = scrubber.scrubJson(scrubbed, 'log');
  }
  return scrubbed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  const remembered = new Map<string, Remembered>();
  let longestFirst: string[] = [];

  const replaceAll = (text: string, hits: Map<string, Hit>): string => {
    let result = text;
    for (const form of longestFirst) {
      if (!result.includes(form)) continue;
      const owner = remembered.get(form) as Remembered;
      result = result.split(form).join(`[secret:${owner.name}]`);
      const hit = hits.get(owner.name) ?? hits.set(owner.name, { owner, encodings: new Set() }).get(owner.name)!;
      hit.encodings.add(owner.encoding);
    }
    return result;
  };

  const report = (hits: Map<string, Hit>, where: Where) => {
    if (hits.size === 0) return;
    const origin = currentScrubOrigin();
    for (const [name, { owner, encodings }] of hits) {
      const encoded = [...encodings].filter((encoding) => encoding !== 'plain').sort();
      options.onSecurityEvent?.({
        type: 'secret_scrubbed',
        reference_name: name,
        where,
        ...(owner.tenant ? { tenant: owner.tenant } : {}),
        ...(encoded.length > 0 ? { encodings: encoded } : {}),
        ...origin,
      });
    }
  };

  const walk = (value: unknown, hits: Map<string, Hit>, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return replaceAll(value, hits);
    if (Array.isArray(value)) {
      if (seen.has(value)) return value;
      seen.add(value);
      return value.map((item) => walk(item, hits, seen));
    }
    if (isPlainObject(value)) {
      if (seen.has(value)) return value;
      seen.add(value);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [replaceAll(key, hits), walk(item, hits, seen)]));
    }
    return value;
  };

  const scrubErrorInto = (error: unknown, hits: Map<string, Hit>, seen: WeakSet<object>): void => {
    if (!(error instanceof Error) || seen.has(error)) return;
    seen.add(error);
    error.message = replaceAll(error.message, hits);
    if (error.stack) error.stack = replaceAll(error.stack, hits);
    scrubErrorInto(error.cause, hits, seen);
    if (error instanceof AggregateError) error.errors.forEach((inner) => scrubErrorInto(inner, hits, seen));
  };

  const scrubber: Scrubber = {
    remember(name, value, tenant) {
      if (value.length < MIN_SCRUBBED_LENGTH) return;
      for (const form of encodedFormsOf(value)) {
        remembered.set(form.text, { name, encoding: form.encoding, ...(tenant === undefined ? {} : { tenant }) });
      }
      longestFirst = [...remembered.keys()].sort((left, right) => right.length - left.length);
    },
    scrubText(text, where = 'text') {
      const hits = new Map<string, Hit>();
      const scrubbed = replaceAll(text, hits);
      report(hits, where);
      return scrubbed;
    },
    scrubJson<T>(value: T, where: Where = 'json'): T {
      if (longestFirst.length === 0) return value;
      const hits = new Map<string, Hit>();
      const scrubbed = walk(value, hits, new WeakSet()) as T;
      report(hits, where);
      return scrubbed;
    },
    scrubError<E>(error: E): E {
      const hits = new Map<string, Hit>();
      scrubErrorInto(error, hits, new WeakSet());
      report(hits, 'error');
      return error;
    },
  };
  processScrubbers.add(new WeakRef(scrubber));
  return scrubber;
}

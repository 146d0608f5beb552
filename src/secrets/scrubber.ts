// The last line of defence: every resolved secret value is remembered, and any text, JSON or error leaving an
// activity is scrubbed of it (`[secret:<name>]`) before it can reach Temporal history, logs or the audit trail.
import type { SecurityEventListener } from './types';

type Where = 'text' | 'json' | 'error';

export interface Scrubber {
  /** Remembers a resolved value under its secret name. */
  remember(name: string, value: string, tenant?: string): void;
  scrubText(text: string, where?: Where): string;
  /** A copy of `value` with every string (and object key) scrubbed; arrays and plain objects are walked. */
  scrubJson<T>(value: T): T;
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
}

// A value can leak in transformed forms too: URL-encoded in a query string, or escaped inside serialized JSON.
function variantsOf(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  const remembered = new Map<string, Remembered>();
  let longestFirst: string[] = [];

  const replaceAll = (text: string, hits: Map<string, Remembered>): string => {
    let result = text;
    for (const variant of longestFirst) {
      if (!result.includes(variant)) continue;
      const owner = remembered.get(variant) as Remembered;
      result = result.split(variant).join(`[secret:${owner.name}]`);
      hits.set(owner.name, owner);
    }
    return result;
  };

  const report = (hits: Map<string, Remembered>, where: Where) => {
    for (const [name, owner] of hits) {
      options.onSecurityEvent?.({ type: 'secret_scrubbed', reference_name: name, where, ...(owner.tenant ? { tenant: owner.tenant } : {}) });
    }
  };

  const walk = (value: unknown, hits: Map<string, Remembered>, seen: WeakSet<object>): unknown => {
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

  const scrubErrorInto = (error: unknown, hits: Map<string, Remembered>, seen: WeakSet<object>): void => {
    if (!(error instanceof Error) || seen.has(error)) return;
    seen.add(error);
    error.message = replaceAll(error.message, hits);
    if (error.stack) error.stack = replaceAll(error.stack, hits);
    scrubErrorInto(error.cause, hits, seen);
    if (error instanceof AggregateError) error.errors.forEach((inner) => scrubErrorInto(inner, hits, seen));
  };

  return {
    remember(name, value, tenant) {
      if (value.length < MIN_SCRUBBED_LENGTH) return;
      for (const variant of variantsOf(value)) remembered.set(variant, tenant === undefined ? { name } : { name, tenant });
      longestFirst = [...remembered.keys()].sort((left, right) => right.length - left.length);
    },
    scrubText(text, where = 'text') {
      const hits = new Map<string, Remembered>();
      const scrubbed = replaceAll(text, hits);
      report(hits, where);
      return scrubbed;
    },
    scrubJson<T>(value: T): T {
      const hits = new Map<string, Remembered>();
      const scrubbed = walk(value, hits, new WeakSet()) as T;
      report(hits, 'json');
      return scrubbed;
    },
    scrubError<E>(error: E): E {
      const hits = new Map<string, Remembered>();
      scrubErrorInto(error, hits, new WeakSet());
      report(hits, 'error');
      return error;
    },
  };
}

// Exchanged tokens kept in worker memory per (run, audience, scopes, subject token) until shortly before they expire.
// Memory only: a token must never reach Temporal history or any store.
import { createHash } from 'node:crypto';
import type { ExchangedToken } from './exchange-token';

export interface TokenCacheKey {
  run: string;
  audience?: string | undefined;
  scopes: readonly string[];
  /** The user token the exchange started from: a fresh user token (after an escalation) must not reuse old grants. */
  subjectToken: string;
}

export interface TokenCache {
  get(key: TokenCacheKey): ExchangedToken | undefined;
  set(key: TokenCacheKey, token: ExchangedToken): void;
  /** Forgets every token of a run (at its end, or when its user token is found revoked). */
  deleteRun(run: string): void;
  readonly size: number;
}

export interface TokenCacheOptions {
  /** Tokens are dropped this many seconds before they expire, so a call never starts with a token about to lapse. */
  refreshSkewSeconds?: number;
  maxEntries?: number;
  now?: () => number;
}

export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const skew = options.refreshSkewSeconds ?? 30;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { run: string; token: ExchangedToken }>();
  const isFresh = (token: ExchangedToken) => token.expiresAt - skew > now() / 1000;

  return {
    get(key) {
      const id = cacheId(key);
      const entry = entries.get(id);
      if (!entry) return undefined;
      if (!isFresh(entry.token)) {
        entries.delete(id);
        return undefined;
      }
      return entry.token;
    },
    set(key, token) {
      if (!isFresh(token)) return;
      const id = cacheId(key);
      entries.delete(id);
      entries.set(id, { run: key.run, token });
      // Maps iterate in insertion order, so the first entries are the oldest.
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    },
    deleteRun(run) {
      for (const [id, entry] of entries) if (entry.run === run) entries.delete(id);
    },
    get size() {
      return entries.size;
    },
  };
}

/** A digest, so the map holds no user token as a key. */
function cacheId(key: TokenCacheKey): string {
  const scopes = [...new Set(key.scopes)].sort().join(' ');
  return createHash('sha256').update(JSON.stringify([key.run, key.audience ?? '', scopes, key.subjectToken])).digest('base64url');
}

// One remote JWKS per URL per process: jose's set caches keys and rate-limits refetches, which only helps if it is reused.
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export const JWKS_TIMEOUT_MS = 5_000;

const sets = new Map<string, JWTVerifyGetKey>();

/** The shared key getter for `jwksUrl`; refetched when a token names an unknown `kid` (key rotation), at most every 30 s. */
export function getRemoteJwks(jwksUrl: string, timeoutMs = JWKS_TIMEOUT_MS): JWTVerifyGetKey {
  const key = `${timeoutMs} ${jwksUrl}`;
  let set = sets.get(key);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    sets.set(key, set);
  }
  return set;
}

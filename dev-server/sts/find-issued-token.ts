// Recognises a JWT access token this STS issued and still holds: signature and issuer checked with its own keys,
// then the stored record looked up by `jti` — gone means revoked (or expired).
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { AccessToken } from 'oidc-provider';

export interface IssuedTokenRecord {
  claims: JWTPayload;
  record: AccessToken;
}

export type IssuedTokenFinder = (token: string) => Promise<IssuedTokenRecord | undefined>;

export function createIssuedTokenFinder(provider: Provider, publicJwks: JWK[]): IssuedTokenFinder {
  const keys = createLocalJWKSet({ keys: publicJwks });
  return async (token) => {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { issuer: provider.issuer, algorithms: ['ES256', 'RS256'] }));
    } catch {
      return undefined;
    }
    if (typeof claims.jti !== 'string') return undefined;
    const record = await provider.AccessToken.find(claims.jti);
    if (!record || record.accountId !== claims.sub) return undefined;
    return { claims, record };
  };
}

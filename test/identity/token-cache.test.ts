// The exchanged-token cache: per run, audience, scopes and user token; never past the refresh margin.
import type { ExchangedToken } from '../../src/identity/exchange-token';
import { createTokenCache } from '../../src/identity/token-cache';

function tokenExpiringAt(expiresAt: number, value = 'access'): ExchangedToken {
  const token = { tokenType: 'Bearer', issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token', scopes: ['a'], expiresAt } as ExchangedToken;
  Object.defineProperty(token, 'accessToken', { value, enumerable: false });
  return token;
}

describe('createTokenCache', () => {
  let now = 1_000_000_000_000;
  const cache = () => createTokenCache({ refreshSkewSeconds: 30, now: () => now });
  const key = { run: 'r1', audience: 'api', scopes: ['a', 'b'], subjectToken: 'user-token' };

  it('returns a token until shortly before it expires', () => {
    const tokens = cache();
    tokens.set(key, tokenExpiringAt(now / 1000 + 60));
    expect(tokens.get(key)).toBeDefined();
    now += 29_000;
    expect(tokens.get(key)).toBeDefined();
    now += 2_000;
    expect(tokens.get(key)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('does not store a token already inside the refresh margin', () => {
    const tokens = cache();
    tokens.set(key, tokenExpiringAt(now / 1000 + 10));
    expect(tokens.size).toBe(0);
  });

  it('keys by run, audience, scope set and user token (scope order does not matter)', () => {
    const tokens = cache();
    tokens.set(key, tokenExpiringAt(now / 1000 + 600));
    expect(tokens.get({ ...key, scopes: ['b', 'a', 'a'] })).toBeDefined();
    expect(tokens.get({ ...key, run: 'r2' })).toBeUndefined();
    expect(tokens.get({ ...key, audience: 'other' })).toBeUndefined();
    expect(tokens.get({ ...key, scopes: ['a'] })).toBeUndefined();
    expect(tokens.get({ ...key, subjectToken: 'a-fresh-user-token' })).toBeUndefined();
  });

  it('forgets a whole run', () => {
    const tokens = cache();
    tokens.set(key, tokenExpiringAt(now / 1000 + 600));
    tokens.set({ ...key, audience: 'other' }, tokenExpiringAt(now / 1000 + 600));
    tokens.set({ ...key, run: 'r2' }, tokenExpiringAt(now / 1000 + 600));
    tokens.deleteRun('r1');
    expect(tokens.size).toBe(1);
    expect(tokens.get({ ...key, run: 'r2' })).toBeDefined();
  });

  it('evicts the oldest entries beyond its bound', () => {
    const tokens = createTokenCache({ maxEntries: 2, now: () => now });
    for (const run of ['r1', 'r2', 'r3']) tokens.set({ ...key, run }, tokenExpiringAt(now / 1000 + 600));
    expect(tokens.size).toBe(2);
    expect(tokens.get({ ...key, run: 'r1' })).toBeUndefined();
    expect(tokens.get({ ...key, run: 'r3' })).toBeDefined();
  });
});

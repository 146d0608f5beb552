// Attacker-side tests of user token verification: every forgery or misuse is refused with its own reason.
import { createHmac } from 'node:crypto';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, decodeProtectedHeader, type JWK } from 'jose';
import { startSts } from '../../dev-server/sts/start-sts';
import { mintDevToken } from '../../dev-server/sts/dev-client';
import { TokenInvalidError, verifyUserToken, type OAuthEvent, type TokenInvalidReason } from '../../src/identity';
import { useSts } from './sts-fixture';

const fixture = useSts();

async function refusal(token: unknown, options: Parameters<typeof verifyUserToken>[1]): Promise<TokenInvalidError> {
  try {
    await verifyUserToken(token, options);
  } catch (error) {
    if (error instanceof TokenInvalidError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function stsPublicKeys(): Promise<JWK[]> {
  const response = await fetch(fixture.jwksUrl);
  return ((await response.json()) as { keys: JWK[] }).keys;
}

function claimsFor(issuer: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: 'steward', sub: 'alice', tenant: 'demo', scope: 'expenses:read expenses:write', iat: now, exp: now + 600, ...overrides };
}

describe('verifyUserToken', () => {
  it("returns alice's principal from a token the issuer signed", async () => {
    const token = await fixture.mint({ user: 'alice' });
    const principal = await verifyUserToken(token, fixture.verifyOptions({ tenant: 'demo' }));
    expect(principal).toMatchObject({
      subject: 'alice',
      tenant: 'demo',
      scopes: ['expenses:read', 'expenses:write'],
      groups: ['employees'],
      issuer: fixture.sts.issuer,
      clientId: 'steward-cli',
    });
    expect(principal.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("reads carol's groups", async () => {
    const principal = await verifyUserToken(await fixture.mint({ user: 'carol' }), fixture.verifyOptions());
    expect(principal.groups).toContain('finance-managers');
  });

  describe('refuses', () => {
    const cases: Array<[string, TokenInvalidReason, () => Promise<[unknown, Parameters<typeof verifyUserToken>[1]]>]> = [
      [
        'a token signed by another key under the issuer’s key id (forged signature)',
        'signature_invalid',
        async () => {
          const genuine = await fixture.mint({ user: 'bob' });
          const { kid } = decodeProtectedHeader(genuine);
          const { privateKey } = await generateKeyPair('ES256');
          const forged = await new SignJWT(claimsFor(fixture.sts.issuer, { sub: 'bob' }))
            .setProtectedHeader({ alg: 'ES256', kid: kid as string, typ: 'at+jwt' })
            .sign(privateKey);
          return [forged, fixture.verifyOptions()];
        },
      ],
      [
        'a token signed by a key the issuer does not publish',
        'key_not_found',
        async () => {
          const { privateKey } = await generateKeyPair('ES256');
          const forged = await new SignJWT(claimsFor(fixture.sts.issuer)).setProtectedHeader({ alg: 'ES256', kid: 'attacker' }).sign(privateKey);
          return [forged, fixture.verifyOptions()];
        },
      ],
      [
        'an unsecured token (alg: none)',
        'algorithm_not_allowed',
        async () => [`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(fixture.sts.issuer))}.`, fixture.verifyOptions()],
      ],
      [
        'an HS256 token keyed with the issuer’s public key as PEM (algorithm confusion)',
        'algorithm_not_allowed',
        async () => {
          const rsa = (await stsPublicKeys()).find((key) => key.kty === 'RSA') as JWK;
          const pem = await exportSPKI((await importJWK(rsa, 'RS256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
          const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${b64(claimsFor(fixture.sts.issuer))}`;
          const mac = createHmac('sha256', pem).update(input).digest('base64url');
          return [`${input}.${mac}`, fixture.verifyOptions()];
        },
      ],
      [
        'an HS256 token keyed with the issuer’s public JWK text',
        'algorithm_not_allowed',
        async () => {
          const ec = (await stsPublicKeys()).find((key) => key.kty === 'EC') as JWK;
          const input = `${b64({ alg: 'HS256', kid: ec.kid })}.${b64(claimsFor(fixture.sts.issuer))}`;
          const mac = createHmac('sha256', JSON.stringify(ec)).update(input).digest('base64url');
          return [`${input}.${mac}`, fixture.verifyOptions()];
        },
      ],
      [
        'an expired token',
        'expired',
        async () => {
          const token = await fixture.mint({ user: 'alice', ttlSeconds: 1 });
          await new Promise((resolve) => setTimeout(resolve, 2_100));
          return [token, { ...fixture.verifyOptions(), clockToleranceSeconds: 0 }];
        },
      ],
      ['a token for another audience', 'audience_mismatch', async () => [await fixture.mint({ user: 'alice', audience: 'expenses-api' }), fixture.verifyOptions()]],
      [
        'a token when another issuer is expected',
        'issuer_mismatch',
        async () => [await fixture.mint({ user: 'alice' }), { ...fixture.verifyOptions(), issuer: 'https://login.example.com' }],
      ],
      [
        "a token of another tenant's user",
        'tenant_mismatch',
        async () => [await fixture.mint({ user: 'alice', tenant: 'acme' }), fixture.verifyOptions({ tenant: 'demo' })],
      ],
      ['a string that is not a JWT', 'malformed', async () => ['not-a-jwt', fixture.verifyOptions()]],
      ['a value that is not a string', 'malformed', async () => [{ token: 'x' }, fixture.verifyOptions()]],
    ];

    it.each(cases)('%s', async (_name, reason, build) => {
      const [token, options] = await build();
      const events: OAuthEvent[] = [];
      const error = await refusal(token, { ...options, onOAuthEvent: (event) => void events.push(event) });
      expect(error.reason).toBe(reason);
      expect(error.code).toBe('TOKEN_INVALID');
      expect(error.oauthCode).toBe('invalid_token');
      expect(error.retryable).toBe(false);
      expect(events).toEqual([expect.objectContaining({ operation: reason === 'expired' ? 'expiry' : 'refusal', outcome: 'denied', reason })]);
      if (typeof token === 'string') {
        expect(error.message).not.toContain(token);
        expect(JSON.stringify(events)).not.toContain(token);
      }
    });
  });

  it("refuses a token from another issuer's keys, even with the same claims", async () => {
    const other = await startSts({ port: 0 });
    try {
      const { accessToken } = await mintDevToken(other.issuer, { user: 'alice' });
      const error = await refusal(accessToken, fixture.verifyOptions());
      expect(['issuer_mismatch', 'key_not_found']).toContain(error.reason);
    } finally {
      await other.stop();
    }
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(claimsFor('https://issuer.test', { nbf: Math.floor(Date.now() / 1000) + 600 }))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] });
    const error = await refusal(token, { issuer: 'https://issuer.test', audience: 'steward', jwksUrl: 'http://127.0.0.1:1/unused', keys });
    expect(error.reason).toBe('not_yet_valid');
  });

  it('refuses a token without a tenant claim', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claimsFor('https://issuer.test', { tenant: undefined })).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    const keys = createLocalJWKSet({ keys: [await exportJWK(publicKey)] });
    const error = await refusal(token, { issuer: 'https://issuer.test', audience: 'steward', jwksUrl: 'http://127.0.0.1:1/unused', keys });
    expect(error.reason).toBe('claims_invalid');
  });

  it('reports an unreachable JWKS as retryable', async () => {
    const token = await fixture.mint({ user: 'alice' });
    const error = await refusal(token, { ...fixture.verifyOptions(), jwksUrl: 'http://127.0.0.1:9/jwks', jwksTimeoutMs: 500 });
    expect(error.reason).toBe('jwks_unavailable');
    expect(error.retryable).toBe(true);
  });

  it('lets a failing audit sink surface as itself, not as an unavailable JWKS, and records no refusal for it', async () => {
    const token = await fixture.mint({ user: 'alice' });
    const sinkDown = new Error('audit trail unavailable');
    const events: OAuthEvent[] = [];
    const onOAuthEvent = (event: OAuthEvent) => {
      events.push(event);
      if (event.operation === 'verify') throw sinkDown;
    };
    await expect(verifyUserToken(token, { ...fixture.verifyOptions(), onOAuthEvent })).rejects.toBe(sinkDown);
    expect(events.map((event) => event.operation)).toEqual(['verify']);
  });

  it('will not be configured with a symmetric or empty algorithm list', async () => {
    const token = await fixture.mint({ user: 'alice' });
    await expect(verifyUserToken(token, { ...fixture.verifyOptions(), algorithms: ['HS256' as 'ES256'] })).rejects.toThrow(TypeError);
    await expect(verifyUserToken(token, { ...fixture.verifyOptions(), algorithms: ['none' as 'ES256'] })).rejects.toThrow(TypeError);
    await expect(verifyUserToken(token, { ...fixture.verifyOptions(), algorithms: [] })).rejects.toThrow(TypeError);
  });

  it('refuses an RS256 token when only ES256 is allowed', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claimsFor('https://issuer.test')).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    const keys = createLocalJWKSet({ keys: [await exportJWK(publicKey)] });
    const error = await refusal(token, { issuer: 'https://issuer.test', audience: 'steward', jwksUrl: 'http://127.0.0.1:1/unused', keys, algorithms: ['ES256'] });
    expect(error.reason).toBe('algorithm_not_allowed');
  });
});

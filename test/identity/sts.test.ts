// The local STS itself: discovery and health, the dev endpoints, RFC 7662 introspection and RFC 7009 revocation of its JWTs.
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { mintDevToken, revokeDevToken, StsRequestError } from '../../dev-server/sts/dev-client';
import { RESOURCE_SERVER_ID, RESOURCE_SERVER_SECRET } from '../../dev-server/sts/demo-directory';
import { isStsHealthy } from '../../dev-server/sts/is-sts-healthy';
import { exchangeToken, introspectToken } from '../../src/identity';
import { useSts } from './sts-fixture';

const fixture = useSts();
const resourceServer = { clientId: RESOURCE_SERVER_ID, clientSecret: RESOURCE_SERVER_SECRET };

describe('the local STS', () => {
  it('is healthy and publishes discovery with its endpoints', async () => {
    expect(await isStsHealthy(fixture.sts.issuer)).toBe(true);
    const discovery = (await (await fetch(`${fixture.sts.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: fixture.sts.issuer,
      jwks_uri: fixture.jwksUrl,
      token_endpoint: fixture.tokenEndpoint,
      introspection_endpoint: fixture.introspectionEndpoint,
      revocation_endpoint: `${fixture.sts.issuer}/token/revocation`,
    });
    expect(discovery.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange');
  });

  it('is reported unhealthy where nothing listens', async () => {
    expect(await isStsHealthy('http://127.0.0.1:9', 500)).toBe(false);
  });

  it('mints a user token with the requested tenant, lifetime, scopes and groups', async () => {
    const { accessToken, expiresIn } = await mintDevToken(fixture.sts.issuer, {
      user: 'carol',
      tenant: 'acme',
      ttlSeconds: 60,
      scopes: ['expenses:read', 'approvals:decide'],
      groups: ['finance-managers'],
    });
    expect(expiresIn).toBe(60);
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ iss: fixture.sts.issuer, aud: 'steward', sub: 'carol', tenant: 'acme', scope: 'expenses:read approvals:decide', groups: ['finance-managers'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    for (const claim of ['jti', 'nbf', 'exp']) expect(claims[claim]).toBeDefined();
  });

  it.each([
    ['an unknown user', { user: 'mallory' }, /unknown user/],
    ['a tenant that is not a slug', { user: 'alice', tenant: 'Not A Tenant' }, /tenant/],
    ['a lifetime beyond a day', { user: 'alice', ttlSeconds: 90_000 }, /ttl_seconds/],
    ['a scope with a space inside', { user: 'alice', scopes: ['a b'] }, /scope/],
  ])('refuses to mint for %s', async (_name, request, message) => {
    const error = await mintDevToken(fixture.sts.issuer, request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StsRequestError);
    expect((error as StsRequestError).status).toBe(400);
    expect((error as Error).message).toMatch(message);
  });

  it('revokes through RFC 7009 for a resource server, after which introspection says inactive', async () => {
    const token = await fixture.mint({ user: 'alice' });
    const introspect = () => introspectToken({ introspectionEndpoint: fixture.introspectionEndpoint, clientAuth: resourceServer, token });
    expect(await introspect()).toMatchObject({ active: true, subject: 'alice', clientId: 'steward-cli' });
    const authorization = `Basic ${Buffer.from(`${RESOURCE_SERVER_ID}:${RESOURCE_SERVER_SECRET}`).toString('base64')}`;
    const response = await fetch(`${fixture.sts.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    expect(response.status).toBe(200);
    expect(await introspect()).toEqual({ active: false, scopes: [] });
  });

  it('says a forged JWT, a bare token id and garbage are all inactive', async () => {
    const genuine = await fixture.mint({ user: 'alice' });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...decodeJwt(genuine) }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    for (const token of [forged, decodeJwt(genuine).jti as string, 'garbage']) {
      expect(await introspectToken({ introspectionEndpoint: fixture.introspectionEndpoint, clientAuth: resourceServer, token })).toEqual({ active: false, scopes: [] });
    }
  });

  it('answers a dev revocation of an unknown token with revoked: false', async () => {
    expect(await revokeDevToken(fixture.sts.issuer, 'not-a-token')).toBe(false);
  });

  it('defaults the exchanged audience and bounds its lifetime by the user token', async () => {
    const subjectToken = await fixture.mint({ user: 'alice', ttlSeconds: 20 });
    const token = await exchangeToken({ tokenEndpoint: fixture.tokenEndpoint, clientAuth: fixture.secretAgent, subjectToken, scopes: ['expenses:read'] });
    const claims = decodeJwt(token.accessToken);
    expect(claims.aud).toBe('expenses-api');
    expect(claims.exp).toBeLessThanOrEqual(decodeJwt(subjectToken).exp as number);
  });

  it('refuses an exchange naming two audiences', async () => {
    const subjectToken = await fixture.mint({ user: 'alice' });
    const authorization = `Basic ${Buffer.from('expense-agent:expense-agent-dev-secret').toString('base64')}`;
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'expenses:read',
    });
    body.append('audience', 'a');
    body.append('audience', 'b');
    const response = await fetch(fixture.tokenEndpoint, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_target');
  });

  it('does not let a client outside the agent list exchange tokens', async () => {
    const error = await exchangeToken({
      tokenEndpoint: fixture.tokenEndpoint,
      clientAuth: resourceServer,
      subjectToken: await fixture.mint({ user: 'alice' }),
      scopes: ['expenses:read'],
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ oauthCode: expect.stringMatching(/^(invalid_request|unauthorized_client)$/) });
  });
});

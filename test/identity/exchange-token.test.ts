// RFC 8693 token exchange against the local STS, and against servers that answer wrongly.
import { createLocalJWKSet, decodeJwt, jwtVerify, SignJWT, generateKeyPair, type JWK } from 'jose';
import { revokeDevToken } from '../../dev-server/sts/dev-client';
import {
  assertTokenActive,
  exchangeToken,
  introspectToken,
  isOAuthError,
  narrowScopes,
  OAuthError,
  TOKEN_EXCHANGE_GRANT,
  type OAuthEvent,
} from '../../src/identity';
import { replyJson, startRogueServer, type RogueServer } from './rogue-server';
import { useSts } from './sts-fixture';

const fixture = useSts();

async function failure(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

async function verifyAtApi(token: string) {
  const keys = (await (await fetch(fixture.jwksUrl)).json()) as { keys: JWK[] };
  return (await jwtVerify(token, createLocalJWKSet(keys), { issuer: fixture.sts.issuer, audience: 'expenses-api' })).payload;
}

describe('exchangeToken with the local STS', () => {
  it('gives alice’s agent a token with exactly expenses:write, act naming the agent, for the requested audience', async () => {
    const subjectToken = await fixture.mint({ user: 'alice' });
    const events: OAuthEvent[] = [];
    const token = await exchangeToken({
      tokenEndpoint: fixture.tokenEndpoint,
      clientAuth: fixture.secretAgent,
      subjectToken,
      scopes: ['expenses:write'],
      audience: 'expenses-api',
      onOAuthEvent: (event) => void events.push(event),
      auditContext: { user: 'alice', run: 'run-1', step: 'submit' },
    });
    expect(token.scopes).toEqual(['expenses:write']);
    expect(token.issuedTokenType).toBe('urn:ietf:params:oauth:token-type:access_token');
    const claims = await verifyAtApi(token.accessToken);
    expect(claims).toMatchObject({ sub: 'alice', scope: 'expenses:write', act: { sub: 'expense-agent' }, tenant: 'demo', aud: 'expenses-api' });
    expect(typeof claims.jti).toBe('string');
    expect(typeof claims.nbf).toBe('number');
    expect(token.expiresAt).toBeLessThanOrEqual((claims.exp as number) + 1);
    expect(events).toEqual([
      {
        operation: 'exchange',
        outcome: 'granted',
        user: 'alice',
        agent: 'expense-agent',
        run: 'run-1',
        step: 'submit',
        audience: 'expenses-api',
        scopesRequested: ['expenses:write'],
        scopesGranted: ['expenses:write'],
      },
    ]);
    // The token never shows when the result is logged or serialized.
    expect(JSON.stringify(token)).not.toContain(token.accessToken);
    expect(JSON.stringify(events)).not.toContain(subjectToken);
  });

  it('authenticates an agent with private_key_jwt', async () => {
    const token = await exchangeToken({
      tokenEndpoint: fixture.tokenEndpoint,
      clientAuth: fixture.keyAgent,
      subjectToken: await fixture.mint({ user: 'carol' }),
      scopes: ['expenses:read'],
      resource: 'expenses-api',
    });
    expect(decodeJwt(token.accessToken)).toMatchObject({ sub: 'carol', act: { sub: 'report-agent' }, groups: ['employees', 'finance-managers'] });
  });

  it('keeps the delegation chain when an exchanged token is exchanged again', async () => {
    const first = await exchangeToken({
      tokenEndpoint: fixture.tokenEndpoint,
      clientAuth: fixture.secretAgent,
      subjectToken: await fixture.mint({ user: 'alice' }),
      scopes: ['expenses:read', 'expenses:write'],
    });
    const second = await exchangeToken({ tokenEndpoint: fixture.tokenEndpoint, clientAuth: fixture.keyAgent, subjectToken: first.accessToken, scopes: ['expenses:read'] });
    expect(decodeJwt(second.accessToken).act).toEqual({ sub: 'report-agent', act: { sub: 'expense-agent' } });
  });

  it('refuses bob’s agent expenses:write before asking the server', () => {
    expect(() => narrowScopes({ required_scopes: ['expenses:write'] }, ['expenses:read'])).toThrow(
      expect.objectContaining({ oauthCode: 'scope_denied', retryable: false }),
    );
  });

  it('gets a clean refusal from the server when bob’s agent asks for expenses:write anyway', async () => {
    const subjectToken = await fixture.mint({ user: 'bob' });
    const events: OAuthEvent[] = [];
    const error = await failure(
      exchangeToken({
        tokenEndpoint: fixture.tokenEndpoint,
        clientAuth: fixture.secretAgent,
        subjectToken,
        scopes: ['expenses:write'],
        onOAuthEvent: (event) => void events.push(event),
      }),
    );
    expect(error.oauthCode).toBe('invalid_scope');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(events).toEqual([expect.objectContaining({ operation: 'refusal', outcome: 'denied', errorCode: 'invalid_scope', scopesGranted: [] })]);
  });

  it('refuses a partial grant when the step needs every scope it asked for', async () => {
    const error = await failure(
      exchangeToken({
        tokenEndpoint: fixture.tokenEndpoint,
        clientAuth: fixture.secretAgent,
        subjectToken: await fixture.mint({ user: 'bob' }),
        scopes: ['expenses:read', 'expenses:write'],
      }),
    );
    expect(error.oauthCode).toBe('scope_denied');
  });

  it('accepts a partial grant when asked to', async () => {
    const token = await exchangeToken({
      tokenEndpoint: fixture.tokenEndpoint,
      clientAuth: fixture.secretAgent,
      subjectToken: await fixture.mint({ user: 'bob' }),
      scopes: ['expenses:read', 'expenses:write'],
      requireAllScopes: false,
    });
    expect(token.scopes).toEqual(['expenses:read']);
  });

  it('sees a token revoked mid-way: introspection says inactive and the exchange fails cleanly', async () => {
    const subjectToken = await fixture.mint({ user: 'alice' });
    const exchange = () =>
      exchangeToken({ tokenEndpoint: fixture.tokenEndpoint, clientAuth: fixture.secretAgent, subjectToken, scopes: ['expenses:write'] });
    await exchange();
    const introspect = { introspectionEndpoint: fixture.introspectionEndpoint, clientAuth: fixture.secretAgent, token: subjectToken };
    expect(await introspectToken(introspect)).toMatchObject({ active: true, subject: 'alice', scopes: ['expenses:read', 'expenses:write'] });

    expect(await revokeDevToken(fixture.sts.issuer, subjectToken)).toBe(true);

    expect(await introspectToken(introspect)).toEqual({ active: false, scopes: [] });
    const events: OAuthEvent[] = [];
    const inactive = await failure(assertTokenActive({ ...introspect, onOAuthEvent: (event) => void events.push(event) }));
    expect(inactive.oauthCode).toBe('token_inactive');
    expect(events).toEqual([expect.objectContaining({ operation: 'revocation', outcome: 'denied', errorCode: 'token_inactive' })]);
    const refused = await failure(exchange());
    expect(refused.oauthCode).toBe('invalid_grant');
    expect(refused.retryable).toBe(false);
    expect(refused.message).not.toContain(subjectToken);
  });

  it('refuses a wrong client secret without echoing it', async () => {
    const error = await failure(
      exchangeToken({
        tokenEndpoint: fixture.tokenEndpoint,
        clientAuth: { clientId: 'expense-agent', clientSecret: 'wrong-secret-value' },
        subjectToken: await fixture.mint({ user: 'alice' }),
        scopes: ['expenses:read'],
      }),
    );
    expect(error.oauthCode).toBe('invalid_client');
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it('refuses an agent key the STS does not know', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const error = await failure(
      exchangeToken({
        tokenEndpoint: fixture.tokenEndpoint,
        clientAuth: { clientId: 'report-agent', privateKey },
        subjectToken: await fixture.mint({ user: 'alice' }),
        scopes: ['expenses:read'],
      }),
    );
    expect(error.oauthCode).toBe('invalid_client');
  });

  it('refuses a subject token the STS did not issue', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ sub: 'alice', scope: 'expenses:write', tenant: 'demo' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(fixture.sts.issuer)
      .setAudience('steward')
      .setJti('forged')
      .setExpirationTime('5m')
      .sign(privateKey);
    const error = await failure(
      exchangeToken({ tokenEndpoint: fixture.tokenEndpoint, clientAuth: fixture.secretAgent, subjectToken: forged, scopes: ['expenses:write'] }),
    );
    expect(error.oauthCode).toBe('invalid_grant');
  });
});

describe('exchangeToken against a misbehaving server', () => {
  let rogue: RogueServer | undefined;
  afterEach(async () => {
    await rogue?.stop();
    rogue = undefined;
  });

  const options = (url: string) => ({
    tokenEndpoint: url,
    clientAuth: { clientId: 'agent', clientSecret: 's3cret-value' },
    subjectToken: 'subject.token.value-that-must-never-leak',
    scopes: ['expenses:write'],
    audience: 'expenses-api',
    timeoutMs: 1_000,
  });

  const answer = (body: unknown, status = 200) => startRogueServer((_form, res) => replyJson(res, status, body));
  const ok = { access_token: 'opaque-token', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 60 };

  it('sends a conforming RFC 8693 request with client_secret_basic', async () => {
    rogue = await answer({ ...ok, scope: 'expenses:write' });
    await exchangeToken(options(rogue.url));
    const [request] = rogue.requests;
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: 'subject.token.value-that-must-never-leak',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'expenses:write',
      audience: 'expenses-api',
    });
    expect(request?.authorization).toBe(`Basic ${Buffer.from('agent:s3cret-value').toString('base64')}`);
  });

  it('refuses a token with more scope than asked', async () => {
    rogue = await answer({ ...ok, scope: 'expenses:write expenses:admin' });
    const error = await failure(exchangeToken(options(rogue.url)));
    expect(error.oauthCode).toBe('scope_escalation');
    expect(error.retryable).toBe(false);
  });

  it('refuses a JWT whose own scope claim is broader than asked, whatever the response says', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ scope: 'expenses:write expenses:delete' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1m').sign(privateKey);
    rogue = await answer({ ...ok, access_token: jwt, scope: 'expenses:write' });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('scope_escalation');
  });

  const jwtWith = async (claims: Record<string, unknown>) => {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1m').sign(privateKey);
  };

  it('refuses a JWT whose scp array is broader than asked, though its scope claim is not', async () => {
    const jwt = await jwtWith({ scope: 'expenses:write', scp: ['expenses:write', 'expenses:admin'] });
    rogue = await answer({ ...ok, access_token: jwt, scope: 'expenses:write' });
    const error = await failure(exchangeToken(options(rogue.url)));
    expect(error).toMatchObject({ oauthCode: 'scope_escalation', retryable: false });
    expect(error.message).toContain('expenses:admin');
  });

  it('refuses a JWT with only an scp array broader than asked when the answer omits scope', async () => {
    rogue = await answer({ ...ok, access_token: await jwtWith({ scp: ['expenses:write', 'expenses:delete'] }) });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('scope_escalation');
  });

  it('refuses a JWT whose scope claim is broader than asked when the answer omits scope', async () => {
    rogue = await answer({ ...ok, access_token: await jwtWith({ scope: 'expenses:write expenses:delete' }) });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('scope_escalation');
  });

  it('takes the grant from the JWT, not the request, when the answer omits scope: a narrower token is refused', async () => {
    rogue = await answer({ ...ok, access_token: await jwtWith({ scp: 'expenses:read' }) });
    const error = await failure(exchangeToken({ ...options(rogue.url), scopes: ['expenses:read', 'expenses:write'] }));
    expect(error.oauthCode).toBe('scope_denied');
    expect(error.message).toContain('expenses:write');
  });

  it('refuses a JWT whose scope claims are not scope lists', async () => {
    rogue = await answer({ ...ok, access_token: await jwtWith({ scp: ['expenses:write', 'expenses:admin everything'] }) });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('invalid_response');
    await rogue.stop();
    rogue = await answer({ ...ok, access_token: await jwtWith({ scope: 42 }) });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('invalid_response');
  });

  it('treats an omitted scope as the requested one (RFC 6749 §5.1) only for a token that states no scope of its own', async () => {
    rogue = await answer(ok);
    expect((await exchangeToken(options(rogue.url))).scopes).toEqual(['expenses:write']);
  });

  it('refuses an answer that is not a token exchange response', async () => {
    rogue = await answer({ access_token: 'x', token_type: 'Bearer' });
    const error = await failure(exchangeToken(options(rogue.url)));
    expect(error.oauthCode).toBe('invalid_response');
    expect(error.message).toContain('issued_token_type');
  });

  it('refuses a token type it cannot use', async () => {
    rogue = await answer({ ...ok, token_type: 'N_A' });
    expect((await failure(exchangeToken(options(rogue.url)))).oauthCode).toBe('invalid_response');
  });

  it('maps an OAuth error and scrubs tokens and secrets the server echoes back', async () => {
    rogue = await startRogueServer((form, res) =>
      replyJson(res, 400, { error: 'invalid_grant', error_description: `bad token ${form.get('subject_token')} for s3cret-value eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln` }),
    );
    const error = await failure(exchangeToken(options(rogue.url)));
    expect(error.oauthCode).toBe('invalid_grant');
    expect(error.message).not.toContain('subject.token.value-that-must-never-leak');
    expect(error.message).not.toContain('s3cret-value');
    expect(error.message).not.toContain('eyJzdWIiOiJ4In0');
    expect(error.message).toContain('[redacted]');
  });

  it('keeps an unknown error code visible but typed by status', async () => {
    rogue = await answer({ error: 'weird_thing' }, 403);
    const error = await failure(exchangeToken(options(rogue.url)));
    expect(error.oauthCode).toBe('invalid_request');
    expect(error.message).toContain('weird_thing');
  });

  it('reports a server error as retryable', async () => {
    rogue = await answer({ error: 'temporarily_unavailable' }, 503);
    expect(await failure(exchangeToken(options(rogue.url)))).toMatchObject({ oauthCode: 'temporarily_unavailable', retryable: true });
    await rogue.stop();
    rogue = await startRogueServer((_form, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    expect(await failure(exchangeToken(options(rogue.url)))).toMatchObject({ oauthCode: 'server_error', retryable: true });
  });

  it('gives up after its timeout', async () => {
    rogue = await startRogueServer(() => undefined);
    const started = Date.now();
    const error = await failure(exchangeToken({ ...options(rogue.url), timeoutMs: 300 }));
    expect(error).toMatchObject({ oauthCode: 'network_error', retryable: true });
    expect(error.message).toContain('timed out');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('sends client_secret_post credentials in the body when asked', async () => {
    rogue = await answer(ok);
    await exchangeToken({ ...options(rogue.url), clientAuth: { clientId: 'agent', clientSecret: 'p@ss word', method: 'client_secret_post' } });
    expect(rogue.requests[0]?.form.get('client_secret')).toBe('p@ss word');
    expect(rogue.requests[0]?.authorization).toBeUndefined();
  });

  it('refuses to ask for no scope at all', async () => {
    expect(isOAuthError(await failure(exchangeToken({ ...options('http://127.0.0.1:9/token'), scopes: [] })), 'scope_denied')).toBe(true);
  });
});

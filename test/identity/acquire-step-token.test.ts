// A step's token, end to end: verify, narrow, check revocation, reuse or exchange — with an audit event for each.
import { decodeJwt } from 'jose';
import { revokeDevToken } from '../../dev-server/sts/dev-client';
import { acquireStepToken, createTokenCache, OAuthError, TokenInvalidError, type OAuthEvent, type TokenCache } from '../../src/identity';
import { useSts } from './sts-fixture';

const fixture = useSts();

function stepOptions(userToken: string, events: OAuthEvent[], cache: TokenCache, overrides: Partial<Parameters<typeof acquireStepToken>[0]> = {}) {
  return {
    run: 'run-42',
    step: 'submit',
    userToken,
    verify: fixture.verifyOptions({ tenant: 'demo' }),
    scopes: { required_scopes: ['expenses:write'], requested_scopes: ['expenses:read', 'expenses:write'] },
    tokenEndpoint: fixture.tokenEndpoint,
    introspectionEndpoint: fixture.introspectionEndpoint,
    clientAuth: fixture.secretAgent,
    audience: 'expenses-api',
    cache,
    onOAuthEvent: (event: OAuthEvent) => void events.push(event),
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}

describe('acquireStepToken', () => {
  it('exchanges once for alice, then reuses the cached token for the same run, audience and scopes', async () => {
    const userToken = await fixture.mint({ user: 'alice' });
    const events: OAuthEvent[] = [];
    const cache = createTokenCache();
    const first = await acquireStepToken(stepOptions(userToken, events, cache));
    expect(first.cached).toBe(false);
    expect(first.token.scopes).toEqual(['expenses:write']);
    expect(first.principal.subject).toBe('alice');

    const second = await acquireStepToken(stepOptions(userToken, events, cache));
    expect(second.cached).toBe(true);
    expect(second.token.accessToken).toBe(first.token.accessToken);

    expect(events.map((event) => event.operation)).toEqual(['verify', 'exchange', 'use', 'verify', 'use']);
    expect(events.find((event) => event.operation === 'exchange')).toMatchObject({
      user: 'alice',
      agent: 'expense-agent',
      run: 'run-42',
      step: 'submit',
      audience: 'expenses-api',
      scopesRequested: ['expenses:write'],
      scopesGranted: ['expenses:write'],
      outcome: 'granted',
    });
    const recorded = JSON.stringify(events);
    expect(recorded).not.toContain(userToken);
    expect(recorded).not.toContain(first.token.accessToken);
  });

  it('refuses bob at the step with scope_denied, records the refusal, and never calls the server', async () => {
    const userToken = await fixture.mint({ user: 'bob' });
    const events: OAuthEvent[] = [];
    const error = await failure(acquireStepToken(stepOptions(userToken, events, createTokenCache())));
    expect(error).toMatchObject({ oauthCode: 'scope_denied', retryable: false });
    expect(events.map((event) => event.operation)).toEqual(['verify', 'refusal']);
    expect(events[1]).toMatchObject({ user: 'bob', outcome: 'denied', scopesRequested: ['expenses:write'], errorCode: 'scope_denied' });
  });

  it('uses the workflow scopes when the step names none', async () => {
    const userToken = await fixture.mint({ user: 'bob' });
    const result = await acquireStepToken(
      stepOptions(userToken, [], createTokenCache(), { scopes: { requested_scopes: ['expenses:read', 'expenses:write'] } }),
    );
    expect(result.token.scopes).toEqual(['expenses:read']);
  });

  it('notices a revocation between two steps: token_inactive, the run’s cached tokens dropped', async () => {
    const userToken = await fixture.mint({ user: 'alice' });
    const events: OAuthEvent[] = [];
    const cache = createTokenCache();
    await acquireStepToken(stepOptions(userToken, events, cache));
    expect(cache.size).toBe(1);

    await revokeDevToken(fixture.sts.issuer, userToken);

    const error = await failure(acquireStepToken(stepOptions(userToken, events, cache)));
    expect(error).toMatchObject({ oauthCode: 'token_inactive', retryable: false });
    expect(cache.size).toBe(0);
    expect(events.at(-1)).toMatchObject({ operation: 'revocation', outcome: 'denied', user: 'alice', run: 'run-42', step: 'submit' });
  });

  it('notices an expired user token mid-run', async () => {
    // long enough for the first exchange on a loaded machine; then wait until just past the token's own expiry
    const userToken = await fixture.mint({ user: 'alice', ttlSeconds: 4 });
    const events: OAuthEvent[] = [];
    const options = stepOptions(userToken, events, createTokenCache(), { verify: { ...fixture.verifyOptions({ tenant: 'demo' }), clockToleranceSeconds: 0 } });
    await acquireStepToken(options);
    const expiresAt = decodeJwt(userToken).exp! * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 1_100));
    const error = await failure(acquireStepToken(options));
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as TokenInvalidError).reason).toBe('expired');
    expect(events.at(-1)).toMatchObject({ operation: 'expiry', reason: 'expired', run: 'run-42' });
  });

  it('refuses another tenant’s user before anything is exchanged', async () => {
    const userToken = await fixture.mint({ user: 'alice', tenant: 'acme' });
    const error = await failure(acquireStepToken(stepOptions(userToken, [], createTokenCache())));
    expect((error as TokenInvalidError).reason).toBe('tenant_mismatch');
  });
});

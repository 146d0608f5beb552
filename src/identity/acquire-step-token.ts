// Everything a step needs before it calls a protected API on the user's behalf, in order: verify the user token,
// narrow the scopes, check the token is not revoked, then reuse a cached exchanged token or exchange for a new one.
import type { ClientAuth } from './client-auth';
import { OAuthError } from './errors';
import { exchangeToken, type ExchangedToken } from './exchange-token';
import { assertTokenActive } from './introspect-token';
import { narrowScopes, type ScopeRequirement } from './narrow-scopes';
import { emitOAuthEvent, type OAuthAuditOptions } from './oauth-event';
import type { Principal } from './principal';
import type { TokenCache } from './token-cache';
import { verifyUserToken, type VerifyUserTokenOptions } from './verify-user-token';

export interface AcquireStepTokenOptions extends OAuthAuditOptions {
  run: string;
  step: string;
  userToken: string;
  /** How the user token is verified (issuer, audience, JWKS, tenant). */
  verify: Omit<VerifyUserTokenOptions, keyof OAuthAuditOptions>;
  scopes: ScopeRequirement;
  tokenEndpoint: string;
  clientAuth: ClientAuth;
  audience?: string | undefined;
  resource?: string | undefined;
  /** When set, the user token is introspected before every use, so a revocation is seen mid-run. */
  introspectionEndpoint?: string | undefined;
  cache?: TokenCache | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface StepToken {
  principal: Principal;
  token: ExchangedToken;
  /** True when the token came from the cache rather than a fresh exchange. */
  cached: boolean;
}

export async function acquireStepToken(options: AcquireStepTokenOptions): Promise<StepToken> {
  const audit: OAuthAuditOptions = {
    onOAuthEvent: options.onOAuthEvent,
    auditContext: { ...options.auditContext, run: options.run, step: options.step, agent: options.clientAuth.clientId },
  };
  const principal = await verifyUserToken(options.userToken, { ...options.verify, ...audit });
  const userAudit: OAuthAuditOptions = { ...audit, auditContext: { ...audit.auditContext, user: principal.subject } };
  const audience = options.audience ?? options.resource;

  let scopes: string[];
  try {
    scopes = narrowScopes(options.scopes, principal.scopes);
  } catch (error) {
    if (error instanceof OAuthError) {
      await emitOAuthEvent(userAudit, {
        operation: 'refusal',
        outcome: 'denied',
        audience,
        scopesRequested: [...(options.scopes.required_scopes?.length ? options.scopes.required_scopes : (options.scopes.requested_scopes ?? []))],
        scopesGranted: [],
        errorCode: error.oauthCode,
      });
    }
    throw error;
  }

  if (options.introspectionEndpoint) {
    try {
      await assertTokenActive({
        ...userAudit,
        introspectionEndpoint: options.introspectionEndpoint,
        clientAuth: options.clientAuth,
        token: options.userToken,
        tokenTypeHint: 'access_token',
        timeoutMs: options.timeoutMs,
        fetch: options.fetch,
      });
    } catch (error) {
      if (error instanceof OAuthError && error.oauthCode === 'token_inactive') options.cache?.deleteRun(options.run);
      throw error;
    }
  }

  const key = { run: options.run, audience, scopes, subjectToken: options.userToken };
  const hit = options.cache?.get(key);
  const token =
    hit ??
    (await exchangeToken({
      ...userAudit,
      tokenEndpoint: options.tokenEndpoint,
      clientAuth: options.clientAuth,
      subjectToken: options.userToken,
      scopes,
      audience: options.audience,
      resource: options.resource,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    }));
  if (!hit) options.cache?.set(key, token);
  await emitOAuthEvent(userAudit, { operation: 'use', outcome: 'granted', audience, scopesRequested: scopes, scopesGranted: token.scopes });
  return { principal, token, cached: hit !== undefined };
}

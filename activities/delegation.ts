// Delegated access for one tool step: the run's user token is read from its sealed handle (only in the run it was
// sealed for), narrowed and exchanged (RFC 8693) for a token scoped to exactly what the step needs, and handed back
// as an Authorization header. Both tokens live only inside the activity: the scrubber learns them, so no result or
// error can carry them out, and every verification, exchange, use and refusal is written to the audit trail
// without them.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import type { TenantKeyring } from '../src/codec/keys/keyring';
import { acquireStepToken, createTokenCache, type ClientAuth, OAuthError, TokenInvalidError, verifyUserToken, type OAuthEvent, type TokenCache } from '../src/identity';
import { recordOAuthEvent } from '../src/identity/oauth-audit';
import { isSealedForRun } from '../src/identity/user-token-binding';
import { loadUserToken, type UserTokenHandle } from '../src/identity/user-token-store';
import { renderTemplate } from '../src/ir/expressions';
import type { OAuthClient, OAuthScopes } from '../src/ir/schema';
import { resolveSecretsFor, type SecretDeps } from './secrets';
import { SpanKind, withSpan } from '../src/telemetry/spans';

export interface DelegationDeps extends SecretDeps {
  pool: Pool;
  /** Opens sealed user tokens; without it no step can act for a user. */
  keyring?: TenantKeyring;
  identity?: { issuer: string; audience: string; jwksUrl: string };
  tokenCache?: TokenCache;
}

export interface DelegatedStep {
  nodeId: string;
  /** The definition acting (the agent). */
  agent: string;
  user?: UserTokenHandle | undefined;
  /** Temporal's root of this run when it is a child run: a token sealed for the root (or an ancestor) serves it too. */
  rootWorkflowId?: string | undefined;
  oauth: OAuthClient;
  scopes: OAuthScopes;
  secretReferences: Record<string, string>;
}

export interface StepAuthorization {
  /** The Authorization header for the call. */
  header: string;
  /**
   * The target refused the token (HTTP 401): the user's grant may be revoked, which a cached token cannot show.
   * Drops the run's cached tokens, audits the refusal and returns the user-side refusal to throw.
   */
  refusedByTarget(where: string): Promise<OAuthError>;
}

/** One cache per worker process: exchanged tokens are reused within a run until shortly before they expire. */
const sharedTokenCache = createTokenCache();

export async function authorizeStep(deps: DelegationDeps, step: DelegatedStep): Promise<StepAuthorization> {
  const info = Context.current().info;
  const { workflowId = '', runId = 'unknown' } = info.workflowExecution ?? {};
  const audit = (event: OAuthEvent) =>
    recordOAuthEvent(deps.pool, deps.tenant, event, {
      workflowId,
      runId,
      step: step.nodeId,
      attempt: info.attempt,
      userId: step.user?.subject,
      agentId: step.agent,
      payload: { client_id: step.oauth.client_id },
    });
  const audience = step.scopes.audience ?? step.oauth.audience;
  const refuse = async (error: OAuthError, scopesRequested = step.scopes.required_scopes): Promise<OAuthError> => {
    await audit({ operation: 'refusal', outcome: 'denied', audience, scopesRequested, scopesGranted: [], errorCode: error.oauthCode });
    return error;
  };

  // A worker that cannot delegate fails the step at once: no fresh user token can fix it.
  const { keyring, identity } = deps;
  if (!keyring) throw await refuse(new OAuthError('invalid_request', `nodes.${step.nodeId}: this worker has no tenant keys to open user tokens, so it cannot act for a user`));
  if (!identity) throw await refuse(new OAuthError('invalid_request', `nodes.${step.nodeId}: this worker has no identity provider configured to verify the user token`));
  const userToken = await readUserToken(deps, keyring, step, workflowId, refuse);
  const cache = deps.tokenCache ?? sharedTokenCache;
  // The span says which audience and how many scopes, and whether the cache answered; never a token or a subject.
  const exchange = { 'steward.oauth.audience': audience, 'steward.oauth.scopes': step.scopes.required_scopes.length };
  const acquired = await withSpan('oauth token exchange', { kind: SpanKind.CLIENT, attributes: exchange }, async (span) => {
    const token = await acquireStepToken({
      run: runId,
      step: `${step.nodeId}#${info.attempt}`,
      userToken,
      verify: { ...identity, tenant: deps.tenant },
      scopes: { required_scopes: step.scopes.required_scopes, requested_scopes: step.oauth.requested_scopes },
      tokenEndpoint: step.oauth.token_endpoint,
      clientAuth: await agentCredential(deps, step),
      audience,
      resource: step.oauth.resource,
      introspectionEndpoint: step.oauth.introspection_endpoint,
      cache,
      onOAuthEvent: audit,
    });
    span.setAttribute('steward.oauth.cached', token.cached);
    return token;
  });
  deps.scrubber?.remember('exchanged_token', acquired.token.accessToken, deps.tenant);
  return {
    header: `Bearer ${acquired.token.accessToken}`,
    refusedByTarget(where) {
      cache.deleteRun(runId);
      const error = new OAuthError('invalid_token', `nodes.${step.nodeId}: ${where} refused the user's delegated token (401); a fresh user token is needed`, { status: 401 });
      return refuse(error, acquired.token.scopes);
    },
  };
}

/**
 * The run's user token, opened only for the run it was sealed for. A run started for no user fails the step at
 * once (no fresh token can fix it); a token that is gone (expired) is the user's to renew; a handle sealed for
 * another run or user is refused for good.
 */
async function readUserToken(
  deps: DelegationDeps,
  keyring: TenantKeyring,
  step: DelegatedStep,
  workflowId: string,
  refuse: (error: OAuthError) => Promise<OAuthError>,
): Promise<string> {
  const where = `nodes.${step.nodeId}`;
  if (!step.user) {
    throw await refuse(new OAuthError('no_user_token', `${where} acts for a user, but the run was started without a user token (steward run --user-token, or userToken in client.start)`));
  }
  const stored = await loadUserToken(deps.pool, keyring, step.user.handle);
  if (!stored) throw await refuse(new OAuthError('invalid_token', `${where}: the run's user token has expired or is gone; a fresh user token is needed`));
  deps.scrubber?.remember('user_token', stored.token, deps.tenant);
  if (stored.subject !== step.user.subject || !isSealedForRun(stored.workflowId, { workflowId, rootWorkflowId: step.rootWorkflowId })) {
    throw await refuse(new OAuthError('run_mismatch', `${where}: the run's user token handle was sealed for another run or user; it is not used here`));
  }
  return stored.token;
}

/** The agent's own credential, from the tenant's secrets: a client secret, or a private key for private_key_jwt. */
async function agentCredential(deps: DelegationDeps, step: DelegatedStep): Promise<ClientAuth> {
  const { client_id: clientId, client_secret: secretTemplate, private_key: keyTemplate } = step.oauth;
  const template = keyTemplate ?? secretTemplate ?? '';
  const secrets = await resolveSecretsFor(deps, template, step.secretReferences);
  const value = String(renderTemplate(template, { secrets }));
  return keyTemplate === undefined ? { clientId, clientSecret: value } : { clientId, privateKey: value };
}

export interface AdoptUserTokenRequest {
  nodeId: string;
  /** The handle from the `user_token` signal: unverified until checked here. */
  handle: unknown;
  /** The run's user: only their own fresh token may resume their delegation. */
  subject: string | undefined;
  /** Temporal's root of this run when it is a child run (see `DelegatedStep.rootWorkflowId`). */
  rootWorkflowId?: string | undefined;
  agent: string;
}

export type AdoptUserTokenVerdict = { accepted: true; handle: string } | { accepted: false; reason: string };

/** Checks a fresh user token sent to a run waiting on a failed delegation; every verdict is audited. */
export function createAdoptUserToken(deps: DelegationDeps) {
  return async function adoptUserToken(request: AdoptUserTokenRequest): Promise<AdoptUserTokenVerdict> {
    const info = Context.current().info;
    const verdict = await judgeFreshToken(deps, request, info.workflowExecution?.workflowId ?? '');
    await recordAuditEvent(deps.pool, deps.tenant, {
      type: verdict.accepted ? 'oauth.token_renewed' : 'oauth.token_refused',
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      step: request.nodeId,
      attempt: info.attempt,
      userId: request.subject,
      agentId: request.agent,
      payload: verdict.accepted ? {} : { reason: verdict.reason },
    });
    return verdict;
  };
}

async function judgeFreshToken(deps: DelegationDeps, request: AdoptUserTokenRequest, workflowId: string): Promise<AdoptUserTokenVerdict> {
  if (request.subject === undefined) return { accepted: false, reason: 'the run was started without a user token, so no user can be delegated now' };
  if (typeof request.handle !== 'string' || !deps.keyring) return { accepted: false, reason: 'no user token handle' };
  const stored = await loadUserToken(deps.pool, deps.keyring, request.handle);
  if (!stored) return { accepted: false, reason: 'no user token under that handle (unknown, expired, or of another tenant)' };
  if (stored.subject !== request.subject) return { accepted: false, reason: 'the token is not of the user the run acts for' };
  if (!isSealedForRun(stored.workflowId, { workflowId, rootWorkflowId: request.rootWorkflowId })) return { accepted: false, reason: 'the token was sealed for another run' };
  if (!deps.identity) return { accepted: false, reason: 'no identity provider is configured to verify the token' };
  try {
    await verifyUserToken(stored.token, { ...deps.identity, tenant: deps.tenant });
  } catch (error) {
    if (error instanceof TokenInvalidError && error.reason !== 'jwks_unavailable') return { accepted: false, reason: `user token refused: ${error.reason}` };
    throw error;
  }
  return { accepted: true, handle: request.handle };
}

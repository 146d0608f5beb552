// Delegated access for one tool step: the run's user token is read from its sealed handle, narrowed and exchanged
// (RFC 8693) for a token scoped to exactly what the step needs, and handed back as an Authorization header. Both
// tokens live only inside the activity: the scrubber learns them, so no result or error can carry them out, and
// every verification, exchange, use and refusal is written to the audit trail without them.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import type { TenantKeyring } from '../src/codec/keyring';
import { acquireStepToken, createTokenCache, type ClientAuth, OAuthError, TokenInvalidError, verifyUserToken, type OAuthEvent, type TokenCache } from '../src/identity';
import { loadUserToken, type UserTokenHandle } from '../src/identity/user-token-store';
import { renderTemplate } from '../src/ir/expressions';
import type { OAuthClient, OAuthScopes } from '../src/ir/schema';
import { resolveSecretsFor, type SecretDeps } from './secrets';

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
  oauth: OAuthClient;
  scopes: OAuthScopes;
  secretReferences: Record<string, string>;
}

/** One cache per worker process: exchanged tokens are reused within a run until shortly before they expire. */
const sharedTokenCache = createTokenCache();

export async function authorizeStep(deps: DelegationDeps, step: DelegatedStep): Promise<string> {
  const info = Context.current().info;
  const { workflowId, runId } = info.workflowExecution ?? {};
  const audit = (event: OAuthEvent) =>
    recordAuditEvent(deps.pool, deps.tenant, {
      type: `oauth.${event.operation}`,
      workflowId,
      runId,
      step: step.nodeId,
      attempt: info.attempt,
      userId: event.user ?? step.user?.subject,
      agentId: step.agent,
      payload: {
        outcome: event.outcome,
        client_id: step.oauth.client_id,
        audience: event.audience,
        scopes_requested: event.scopesRequested,
        scopes_granted: event.scopesGranted,
        ...(event.errorCode ? { error_code: event.errorCode } : {}),
        ...(event.reason ? { reason: event.reason } : {}),
      },
    });

  const userToken = await readUserToken(deps, step);
  if (!userToken) {
    const error = new OAuthError('invalid_token', `nodes.${step.nodeId}: the run has no usable user token (none given at start, or it has expired)`);
    await audit({ operation: 'refusal', outcome: 'denied', user: step.user?.subject, scopesRequested: step.scopes.required_scopes, scopesGranted: [], errorCode: 'invalid_token' });
    throw error;
  }
  deps.scrubber?.remember('user_token', userToken, deps.tenant);
  if (!deps.identity) throw new OAuthError('invalid_request', `nodes.${step.nodeId}: this worker has no identity provider configured to verify the user token`);

  const acquired = await acquireStepToken({
    run: runId ?? 'unknown',
    step: `${step.nodeId}#${info.attempt}`,
    userToken,
    verify: { ...deps.identity, tenant: deps.tenant },
    scopes: { required_scopes: step.scopes.required_scopes, requested_scopes: step.oauth.requested_scopes },
    tokenEndpoint: step.oauth.token_endpoint,
    clientAuth: await agentCredential(deps, step),
    audience: step.scopes.audience ?? step.oauth.audience,
    resource: step.oauth.resource,
    introspectionEndpoint: step.oauth.introspection_endpoint,
    cache: deps.tokenCache ?? sharedTokenCache,
    onOAuthEvent: audit,
  });
  deps.scrubber?.remember('exchanged_token', acquired.token.accessToken, deps.tenant);
  return `Bearer ${acquired.token.accessToken}`;
}

/** The agent's own credential, from the tenant's secrets: a client secret, or a private key for private_key_jwt. */
async function agentCredential(deps: DelegationDeps, step: DelegatedStep): Promise<ClientAuth> {
  const { client_id: clientId, client_secret: secretTemplate, private_key: keyTemplate } = step.oauth;
  const template = keyTemplate ?? secretTemplate ?? '';
  const secrets = await resolveSecretsFor(deps, template, step.secretReferences);
  const value = String(renderTemplate(template, { secrets }));
  return keyTemplate === undefined ? { clientId, clientSecret: value } : { clientId, privateKey: value };
}

async function readUserToken(deps: DelegationDeps, step: DelegatedStep): Promise<string | undefined> {
  if (!step.user || !deps.keyring) return undefined;
  const stored = await loadUserToken(deps.pool, deps.keyring, step.user.handle);
  // A handle whose token belongs to someone else than the run's user is not this run's delegation.
  return stored && stored.subject === step.user.subject ? stored.token : undefined;
}

export interface AdoptUserTokenRequest {
  nodeId: string;
  /** The handle from the `user_token` signal: unverified until checked here. */
  handle: unknown;
  /** The run's user: only their own fresh token may resume their delegation. */
  subject: string | undefined;
  agent: string;
}

export type AdoptUserTokenVerdict = { accepted: true; handle: string } | { accepted: false; reason: string };

/** Checks a fresh user token sent to a run waiting on a failed delegation; every verdict is audited. */
export function createAdoptUserToken(deps: DelegationDeps) {
  return async function adoptUserToken(request: AdoptUserTokenRequest): Promise<AdoptUserTokenVerdict> {
    const verdict = await judgeFreshToken(deps, request);
    const info = Context.current().info;
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

async function judgeFreshToken(deps: DelegationDeps, request: AdoptUserTokenRequest): Promise<AdoptUserTokenVerdict> {
  if (request.subject === undefined) return { accepted: false, reason: 'the run was started without a user token, so no user can be delegated now' };
  if (typeof request.handle !== 'string' || !deps.keyring) return { accepted: false, reason: 'no user token handle' };
  const stored = await loadUserToken(deps.pool, deps.keyring, request.handle);
  if (!stored) return { accepted: false, reason: 'no user token under that handle (unknown, expired, or of another tenant)' };
  if (stored.subject !== request.subject) return { accepted: false, reason: 'the token is not of the user the run acts for' };
  if (!deps.identity) return { accepted: false, reason: 'no identity provider is configured to verify the token' };
  try {
    await verifyUserToken(stored.token, { ...deps.identity, tenant: deps.tenant });
  } catch (error) {
    if (error instanceof TokenInvalidError && error.reason !== 'jwks_unavailable') return { accepted: false, reason: `user token refused: ${error.reason}` };
    throw error;
  }
  return { accepted: true, handle: request.handle };
}

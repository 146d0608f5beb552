// The RFC 8693 token-exchange grant, registered with oidc-provider: checks the subject token, narrows the scope to
// what the user holds, and issues a token for the agent with `act` naming it.
import type Provider from 'oidc-provider';
import { errors, type TokenEndpointGrantContext } from 'oidc-provider';
import type { IssuedTokenFinder } from './find-issued-token';
import { issueAccessToken, type ActClaim } from './issue-access-token';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCEPTED_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE]);
const PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
];

export interface TokenExchangeSettings {
  findIssuedToken: IssuedTokenFinder;
  defaultAudience: string;
  /** Exchanged tokens live at most this long, and never longer than the subject token. */
  maxTtlSeconds: number;
  onExchange?: (summary: { agent: string; user: string; audience: string; scopes: string[] }) => void;
}

type Params = Record<(typeof PARAMETERS)[number], string | string[] | undefined>;

export function registerTokenExchangeGrant(provider: Provider, settings: TokenExchangeSettings): void {
  provider.registerGrantType<Params>(TOKEN_EXCHANGE_GRANT, (ctx) => handleTokenExchange(ctx, settings), PARAMETERS, ['audience', 'resource']);
}

async function handleTokenExchange(ctx: TokenEndpointGrantContext<Params>, settings: TokenExchangeSettings): Promise<void> {
  const { params, client, provider } = ctx.oidc;
  const subjectToken = single(params.subject_token, 'subject_token');
  if (!subjectToken) throw new errors.InvalidRequest('missing required parameter subject_token');
  assertTokenType(single(params.subject_token_type, 'subject_token_type'), 'subject_token_type', true);
  assertTokenType(single(params.requested_token_type, 'requested_token_type'), 'requested_token_type', false);

  const subject = await settings.findIssuedToken(subjectToken);
  if (!subject) throw new errors.InvalidGrant('subject_token is invalid, expired or revoked');

  const act = await resolveActor(params, client.clientId, subject.claims.act, settings);

  const held = new Set(subject.record.scope?.split(' ').filter(Boolean));
  const scopeParam = single(params.scope, 'scope');
  const requested = scopeParam ? [...new Set(scopeParam.split(' ').filter(Boolean))] : [...held];
  // Never more than the user holds: a scope the subject lacks is simply not granted; none left is an error.
  const granted = requested.filter((scope) => held.has(scope));
  if (granted.length === 0) throw new errors.InvalidScope('the subject holds none of the requested scopes', scopeParam ?? '');

  const targets = [...list(params.audience), ...list(params.resource)];
  if (new Set(targets).size > 1) throw new errors.InvalidTarget('only one audience or resource is supported per exchange');
  const audience = targets[0] ?? settings.defaultAudience;

  const remaining = (subject.record.exp ?? 0) - Math.floor(Date.now() / 1000);
  const ttlSeconds = Math.min(settings.maxTtlSeconds, remaining);
  if (ttlSeconds <= 0) throw new errors.InvalidGrant('subject_token is invalid, expired or revoked');

  const issued = await issueAccessToken(provider, {
    clientId: client.clientId,
    subject: subject.record.accountId,
    scopes: granted,
    audience,
    tenant: String(subject.claims.tenant ?? ''),
    groups: Array.isArray(subject.claims.groups) ? subject.claims.groups.map(String) : [],
    ttlSeconds,
    grantType: TOKEN_EXCHANGE_GRANT,
    act,
  });
  settings.onExchange?.({ agent: client.clientId, user: subject.record.accountId, audience, scopes: granted });
  ctx.body = {
    access_token: issued.value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope: granted.join(' '),
  };
}

/**
 * The agent is whoever authenticated; an actor token, when sent, must be one of this STS's tokens issued to that
 * same agent. A subject token that was itself delegated keeps its chain under the new `act`.
 */
async function resolveActor(params: Params, agent: string, previous: unknown, settings: TokenExchangeSettings): Promise<ActClaim> {
  const actorToken = single(params.actor_token, 'actor_token');
  if (actorToken) {
    assertTokenType(single(params.actor_token_type, 'actor_token_type'), 'actor_token_type', true);
    const actor = await settings.findIssuedToken(actorToken);
    if (!actor || actor.record.clientId !== agent) throw new errors.InvalidGrant('actor_token is invalid or not issued to this client');
  } else if (params.actor_token_type !== undefined) {
    throw new errors.InvalidRequest('actor_token_type given without actor_token');
  }
  return isActClaim(previous) ? { sub: agent, act: previous } : { sub: agent };
}

function isActClaim(value: unknown): value is ActClaim {
  return typeof value === 'object' && value !== null && typeof (value as { sub?: unknown }).sub === 'string';
}

function assertTokenType(value: string | undefined, name: string, required: boolean): void {
  if (value === undefined) {
    if (required) throw new errors.InvalidRequest(`missing required parameter ${name}`);
    return;
  }
  if (!ACCEPTED_TOKEN_TYPES.has(value)) throw new errors.InvalidRequest(`unsupported ${name}`);
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new errors.InvalidRequest(`${name} must not be repeated`);
  return value === '' ? undefined : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item) => item !== '');
}

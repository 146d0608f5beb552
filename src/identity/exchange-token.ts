// RFC 8693 token exchange: the user's token in, a token for the agent out, scoped to what was asked and not a scope more.
// Works against any conforming server; the answer is validated and its scope checked, never taken on trust.
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { ClientAuth } from './client-auth';
import { OAuthError } from './errors';
import { emitOAuthEvent, type OAuthAuditOptions } from './oauth-event';
import { postForm } from './post-form';
import { ScopeClaims, scopesFromClaims } from './principal';
import { dedupeScopes, formatScope, isScopeToken, missingScopes, parseScope, SCOPE_TOKEN } from './scopes';
import { formatZodIssues } from '../common/zod-issues';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** Without `expires_in` or a readable `exp`, a token is only trusted (and cached) this long. */
const FALLBACK_LIFETIME_SECONDS = 60;

export interface ExchangeTokenOptions extends OAuthAuditOptions {
  tokenEndpoint: string;
  clientAuth: ClientAuth;
  subjectToken: string;
  subjectTokenType?: string;
  requestedTokenType?: string;
  /** The narrowed scopes (see `narrowScopes`); the issued token may carry no other. */
  scopes: readonly string[];
  audience?: string | undefined;
  resource?: string | undefined;
  /** A token naming the agent, for servers that record the actor from it (RFC 8693 §2.1). */
  actorToken?: string | undefined;
  actorTokenType?: string;
  /** When true (the default), a grant narrower than the request is refused: the step needs every scope it asked. */
  requireAllScopes?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The issued token. `accessToken` is not enumerable, so logging or serializing this object never shows it. */
export interface ExchangedToken {
  readonly accessToken: string;
  tokenType: string;
  issuedTokenType: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  audience?: string;
}

const TokenExchangeResponse = z.object({
  access_token: z.string().min(1),
  issued_token_type: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: z.number().int().positive().optional(),
  scope: z.string().optional(),
});

export async function exchangeToken(options: ExchangeTokenOptions): Promise<ExchangedToken> {
  const requested = assertScopes(options.scopes);
  const event = {
    agent: options.clientAuth.clientId,
    audience: options.audience ?? options.resource,
    scopesRequested: requested,
  };
  try {
    const token = await requestExchange(options, requested);
    await emitOAuthEvent(options, { ...event, operation: 'exchange', outcome: 'granted', scopesGranted: token.scopes });
    return token;
  } catch (error) {
    if (error instanceof OAuthError) {
      await emitOAuthEvent(options, {
        ...event,
        operation: error.retryable ? 'exchange' : 'refusal',
        outcome: error.retryable ? 'error' : 'denied',
        scopesGranted: [],
        errorCode: error.oauthCode,
      });
    }
    throw error;
  }
}

async function requestExchange(options: ExchangeTokenOptions, requested: string[]): Promise<ExchangedToken> {
  if (typeof options.subjectToken !== 'string' || options.subjectToken === '') throw new TypeError('exchangeToken needs a subject token');
  const requestedTokenType = options.requestedTokenType ?? ACCESS_TOKEN_TYPE;
  const json = await postForm({
    endpoint: options.tokenEndpoint,
    purpose: 'token exchange',
    clientAuth: options.clientAuth,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
    sensitive: [options.subjectToken, ...(options.actorToken ? [options.actorToken] : [])],
    params: {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: options.subjectToken,
      subject_token_type: options.subjectTokenType ?? ACCESS_TOKEN_TYPE,
      requested_token_type: requestedTokenType,
      scope: formatScope(requested),
      audience: options.audience,
      resource: options.resource,
      actor_token: options.actorToken,
      actor_token_type: options.actorToken ? (options.actorTokenType ?? ACCESS_TOKEN_TYPE) : undefined,
    },
  });
  const parsed = TokenExchangeResponse.safeParse(json);
  if (!parsed.success) {
    throw new OAuthError('invalid_response', `token exchange answer is invalid: ${formatZodIssues(parsed.error, { max: 1 })}`);
  }
  const answer = parsed.data;
  if (answer.token_type.toLowerCase() !== 'bearer') {
    throw new OAuthError('invalid_response', `token exchange issued a ${answer.token_type.slice(0, 20)} token; only Bearer tokens can be used`);
  }
  const claims = readClaims(answer.access_token);
  // A JWT's own scopes are what the resource server enforces, so they are checked, and they are the grant. Only a
  // token that states no scope of its own is taken at the answer's word, and an answer without `scope` means "as
  // requested" (RFC 6749 §5.1).
  const stated = answer.scope !== undefined ? parseScope(answer.scope) : undefined;
  if (stated) assertNoEscalation(stated, requested);
  if (claims?.scopes) assertNoEscalation(claims.scopes, requested);
  const granted = claims?.scopes ?? stated ?? requested;
  if (options.requireAllScopes !== false) {
    const missing = missingScopes(requested, granted);
    if (missing.length > 0) throw new OAuthError('scope_denied', `the authorization server withheld scope(s) the step requires: ${missing.join(', ')}`);
  }
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const expiresAt = answer.expires_in !== undefined ? nowSeconds + answer.expires_in : (claims?.exp ?? nowSeconds + FALLBACK_LIFETIME_SECONDS);
  const token: ExchangedToken = {
    accessToken: '',
    tokenType: 'Bearer',
    issuedTokenType: answer.issued_token_type,
    scopes: granted,
    expiresAt,
    ...(options.audience ?? options.resource ? { audience: (options.audience ?? options.resource) as string } : {}),
  };
  Object.defineProperty(token, 'accessToken', { value: answer.access_token, enumerable: false });
  return token;
}

function assertScopes(scopes: readonly string[]): string[] {
  const list = dedupeScopes(scopes);
  if (list.length === 0) throw new OAuthError('scope_denied', 'a token exchange must request at least one scope');
  const bad = list.filter((scope) => !SCOPE_TOKEN.test(scope));
  if (bad.length > 0) throw new OAuthError('invalid_scope', `not a valid OAuth scope: ${bad.map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}`);
  return list;
}

function assertNoEscalation(granted: readonly string[], requested: readonly string[]): void {
  const extra = missingScopes(granted, requested);
  if (extra.length > 0) {
    throw new OAuthError('scope_escalation', `the authorization server granted scope(s) that were not requested: ${extra.join(', ')}; the token is refused`);
  }
}

/**
 * The issued token's scopes and expiry when it is a JWT; read without verification, only to refuse, never to trust.
 * Every scope it claims counts, under `scope` or `scp` (some resource servers read one, some the other); a claim
 * that is not a scope list is refused rather than skipped, as it might be read as one downstream.
 */
function readClaims(token: string): { scopes?: string[]; exp?: number } | undefined {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  const parsed = ScopeClaims.safeParse(claims);
  if (!parsed.success || (Array.isArray(parsed.data.scp) && !parsed.data.scp.every(isScopeToken))) {
    throw new OAuthError('invalid_response', 'the issued token has a scope or scp claim that is not a list of scopes; the token is refused');
  }
  const { scope, scp } = parsed.data;
  return {
    ...(scope !== undefined || scp !== undefined ? { scopes: dedupeScopes([...scopesFromClaims({ scope }), ...scopesFromClaims({ scp })]) } : {}),
    ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
  };
}

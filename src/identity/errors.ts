// The errors of delegated identity: `OAuthError` for anything an authorization server or the narrowing refused,
// `TokenInvalidError` for a user token that failed verification. Messages never carry a token.
import { StewardError } from '../errors';

/**
 * RFC 6749 / 8693 / 6750 error codes, plus Steward's own:
 * `scope_denied` (the user lacks a scope the step needs), `scope_not_declared` (the step needs a scope the agent's
 * `oauth.requested_scopes` does not declare), `scope_escalation` (the server granted more than asked),
 * `token_inactive` (introspection says revoked or expired), `no_user_token` (the run was started for no user),
 * `run_mismatch` (the run's handle names a token sealed for another run or user), `invalid_response` (the server's
 * answer is malformed), `network_error` (no answer within the timeout).
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_token',
  'server_error',
  'temporarily_unavailable',
  'scope_denied',
  'scope_not_declared',
  'scope_escalation',
  'token_inactive',
  'no_user_token',
  'run_mismatch',
  'invalid_response',
  'network_error',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<OAuthErrorCode> = new Set(['server_error', 'temporarily_unavailable', 'network_error']);

export function isOAuthErrorCode(value: unknown): value is OAuthErrorCode {
  return typeof value === 'string' && (OAUTH_ERROR_CODES as readonly string[]).includes(value);
}

export class OAuthError extends StewardError {
  /** True only for transient failures (server down, timeout); everything else fails the step for good. */
  readonly retryable: boolean;
  /** The HTTP status of the server's refusal, when there was one. */
  readonly status: number | undefined;

  constructor(
    readonly oauthCode: OAuthErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; stewardCode?: 'OAUTH_ERROR' | 'TOKEN_INVALID' },
  ) {
    super(options?.stewardCode ?? 'OAUTH_ERROR', message, options);
    this.retryable = RETRYABLE.has(oauthCode);
    this.status = options?.status;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false });
  }
}

/** Why a user token was refused: each attack or mistake has its own reason, for tests and the audit trail. */
export const TOKEN_INVALID_REASONS = [
  'malformed',
  'algorithm_not_allowed',
  'signature_invalid',
  'key_not_found',
  'expired',
  'not_yet_valid',
  'issuer_mismatch',
  'audience_mismatch',
  'tenant_mismatch',
  'claims_invalid',
  'jwks_unavailable',
] as const;
export type TokenInvalidReason = (typeof TOKEN_INVALID_REASONS)[number];

/** Only an unreachable JWKS (`temporarily_unavailable`) is worth retrying; a bad token stays bad. */
export class TokenInvalidError extends OAuthError {
  constructor(
    readonly reason: TokenInvalidReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason === 'jwks_unavailable' ? 'temporarily_unavailable' : 'invalid_token', message, {
      ...options,
      stewardCode: 'TOKEN_INVALID',
    });
  }
}

export function isOAuthError(error: unknown, oauthCode?: OAuthErrorCode): error is OAuthError {
  return error instanceof OAuthError && (oauthCode === undefined || error.oauthCode === oauthCode);
}

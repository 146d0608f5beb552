// Verifies the user's access token (a JWT) against the issuer's JWKS and reads the principal from it.
// Only asymmetric algorithms the caller allows are accepted, so `alg: none` and HS256-with-the-public-key fail.
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { TokenInvalidError, type TokenInvalidReason } from './errors';
import { emitOAuthEvent, type OAuthAuditOptions } from './oauth-event';
import { Principal, PrincipalClaims, scopesFromClaims } from './principal';
import { getRemoteJwks, JWKS_TIMEOUT_MS } from './remote-jwks';
import { formatZodIssues } from '../common/zod-issues';

/** Algorithms a user token may be signed with: public-key signatures only, never HMAC (the key would be public) or none. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const DEFAULT_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['ES256', 'RS256'];
const MAX_TOKEN_LENGTH = 16_384;

export interface VerifyUserTokenOptions extends OAuthAuditOptions {
  issuer: string;
  audience: string | readonly string[];
  jwksUrl: string;
  algorithms?: readonly AsymmetricAlgorithm[];
  /** When set, the token's tenant claim must be exactly this tenant. */
  tenant?: string | undefined;
  /** The claim that names the user's tenant. */
  tenantClaim?: string;
  clockToleranceSeconds?: number;
  jwksTimeoutMs?: number;
  /** A key getter to use instead of the remote JWKS (tests, or a JWKS the caller already holds). */
  keys?: JWTVerifyGetKey;
}

/** Returns the verified principal, or throws a `TokenInvalidError` whose `reason` says what was wrong. */
export async function verifyUserToken(token: unknown, options: VerifyUserTokenOptions): Promise<Principal> {
  const algorithms = assertAsymmetric(options.algorithms ?? DEFAULT_ALGORITHMS);
  let principal: Principal;
  try {
    principal = await verify(token, options, algorithms);
  } catch (error) {
    const refused = error instanceof TokenInvalidError ? error : toTokenInvalidError(error);
    await emitOAuthEvent(options, {
      operation: refused.reason === 'expired' ? 'expiry' : 'refusal',
      outcome: refused.retryable ? 'error' : 'denied',
      scopesRequested: [],
      scopesGranted: [],
      errorCode: refused.oauthCode,
      reason: refused.reason,
    });
    throw refused;
  }
  // Outside the try: a failing audit sink is its own error, not a refusal of the token.
  await emitOAuthEvent(options, {
    operation: 'verify',
    outcome: 'granted',
    user: principal.subject,
    scopesRequested: [],
    scopesGranted: principal.scopes,
  });
  return principal;
}

async function verify(token: unknown, options: VerifyUserTokenOptions, algorithms: string[]): Promise<Principal> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new TokenInvalidError('malformed', 'the user token is not a compact JWT');
  }
  const keys = options.keys ?? getRemoteJwks(options.jwksUrl, options.jwksTimeoutMs ?? JWKS_TIMEOUT_MS);
  const { payload } = await jwtVerify(token, keys, {
    issuer: options.issuer,
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    algorithms,
    clockTolerance: options.clockToleranceSeconds ?? 5,
    requiredClaims: ['sub', 'exp'],
  });
  const claims = PrincipalClaims.safeParse(payload);
  if (!claims.success) {
    throw new TokenInvalidError('claims_invalid', `the user token's claims are invalid: ${formatZodIssues(claims.error, { max: 1 })}`);
  }
  const tenantClaim = options.tenantClaim ?? 'tenant';
  const tenant = payload[tenantClaim];
  if (options.tenant !== undefined && tenant !== options.tenant) {
    throw new TokenInvalidError('tenant_mismatch', `the user token belongs to another tenant than ${options.tenant}`);
  }
  const principal = Principal.safeParse({
    subject: claims.data.sub,
    tenant,
    scopes: scopesFromClaims(claims.data),
    groups: claims.data.groups ?? [],
    expiresAt: claims.data.exp,
    issuer: claims.data.iss,
    clientId: claims.data.client_id ?? claims.data.azp,
  });
  if (!principal.success) {
    throw new TokenInvalidError('claims_invalid', `the user token's ${tenantClaim} claim is missing or not a tenant id`);
  }
  return principal.data;
}

function assertAsymmetric(algorithms: readonly string[]): string[] {
  const allowed = new Set<string>(ASYMMETRIC_ALGORITHMS);
  const bad = algorithms.filter((alg) => !allowed.has(alg));
  if (algorithms.length === 0 || bad.length > 0) {
    throw new TypeError(`user tokens may only be verified with asymmetric algorithms; refused: ${bad.join(', ') || '(empty list)'}`);
  }
  return [...algorithms];
}

// jose's error classes are matched by their stable `code`, which survives module duplication (ESM and CommonJS copies).
const REASON_BY_JOSE_CODE: Record<string, TokenInvalidReason> = {
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm_not_allowed',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm_not_allowed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature_invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'key_not_found',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'key_not_found',
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JWKS_TIMEOUT: 'jwks_unavailable',
  ERR_JWKS_INVALID: 'jwks_unavailable',
};

const REASON_BY_CLAIM: Record<string, TokenInvalidReason> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  nbf: 'not_yet_valid',
  exp: 'expired',
};

const MESSAGES: Record<TokenInvalidReason, string> = {
  malformed: 'the user token is not a well-formed JWT',
  algorithm_not_allowed: 'the user token is signed with an algorithm that is not allowed',
  signature_invalid: 'the user token signature does not verify',
  key_not_found: "the user token names no key in the issuer's JWKS",
  expired: 'the user token has expired',
  not_yet_valid: 'the user token is not valid yet (nbf)',
  issuer_mismatch: 'the user token was issued by another issuer',
  audience_mismatch: 'the user token is meant for another audience',
  tenant_mismatch: 'the user token belongs to another tenant',
  claims_invalid: 'the user token lacks a required claim',
  jwks_unavailable: "the issuer's JWKS could not be fetched",
};

function toTokenInvalidError(error: unknown): TokenInvalidError {
  const code = (error as { code?: unknown } | null)?.code;
  const claim = (error as { claim?: unknown } | null)?.claim;
  let reason: TokenInvalidReason;
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    reason = (typeof claim === 'string' && REASON_BY_CLAIM[claim]) || 'claims_invalid';
  } else if (typeof code === 'string' && code.startsWith('ERR_J')) {
    // A generic jose error here comes from the JWKS fetch (a non-200 answer).
    reason = REASON_BY_JOSE_CODE[code] ?? (code === 'ERR_JOSE_GENERIC' ? 'jwks_unavailable' : 'malformed');
  } else {
    // Not jose's: the network under the JWKS fetch failed.
    reason = 'jwks_unavailable';
  }
  const detail = reason === 'claims_invalid' && typeof claim === 'string' ? ` (${claim})` : '';
  return new TokenInvalidError(reason, MESSAGES[reason] + detail, { cause: error });
}

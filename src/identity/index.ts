// Delegated identity: verified users, scope narrowing, RFC 8693 token exchange, RFC 7662 introspection, OAuth audit events.
export { acquireStepToken, type AcquireStepTokenOptions, type StepToken } from './acquire-step-token';
export { applyClientAuth, type ClientAuth, type ClientSecretAuth, type PrivateKeyJwtAuth } from './client-auth';
export {
  isOAuthError,
  OAUTH_ERROR_CODES,
  OAuthError,
  TOKEN_INVALID_REASONS,
  TokenInvalidError,
  type OAuthErrorCode,
  type TokenInvalidReason,
} from './errors';
export { ACCESS_TOKEN_TYPE, exchangeToken, TOKEN_EXCHANGE_GRANT, type ExchangedToken, type ExchangeTokenOptions } from './exchange-token';
export { assertTokenActive, introspectToken, type Introspection, type IntrospectTokenOptions } from './introspect-token';
export { narrowScopes, type ScopeRequirement } from './narrow-scopes';
export type { OAuthAuditContext, OAuthAuditOptions, OAuthEvent, OAuthOperation, OAuthOutcome, OnOAuthEvent } from './oauth-event';
export { Principal } from './principal';
export { formatScope, intersectScopes, parseScope } from './scopes';
export { createTokenCache, type TokenCache, type TokenCacheKey, type TokenCacheOptions } from './token-cache';
export { ASYMMETRIC_ALGORITHMS, verifyUserToken, type AsymmetricAlgorithm, type VerifyUserTokenOptions } from './verify-user-token';

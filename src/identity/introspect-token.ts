// RFC 7662 introspection: asks the authorization server whether a token is still active (not revoked, not expired).
import { z } from 'zod';
import type { ClientAuth } from './client-auth';
import { OAuthError } from './errors';
import { emitOAuthEvent, type OAuthAuditOptions } from './oauth-event';
import { postForm } from './post-form';
import { parseScope } from './scopes';

export interface IntrospectTokenOptions extends OAuthAuditOptions {
  introspectionEndpoint: string;
  clientAuth: ClientAuth;
  token: string;
  tokenTypeHint?: 'access_token' | 'refresh_token';
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Introspection {
  active: boolean;
  subject?: string;
  scopes: string[];
  clientId?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
}

// Only `active` is required by RFC 7662; the rest is read when present and well-typed, ignored otherwise.
const IntrospectionResponse = z.object({
  active: z.boolean(),
  sub: z.string().optional().catch(undefined),
  scope: z.string().optional().catch(undefined),
  client_id: z.string().optional().catch(undefined),
  exp: z.number().int().optional().catch(undefined),
});

export async function introspectToken(options: IntrospectTokenOptions): Promise<Introspection> {
  const json = await postForm({
    endpoint: options.introspectionEndpoint,
    purpose: 'introspection',
    clientAuth: options.clientAuth,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
    sensitive: [options.token],
    params: { token: options.token, token_type_hint: options.tokenTypeHint },
  });
  const parsed = IntrospectionResponse.safeParse(json);
  if (!parsed.success) throw new OAuthError('invalid_response', 'introspection answer has no boolean "active"');
  const { active, sub, scope, client_id, exp } = parsed.data;
  // An inactive answer carries nothing else worth reading (RFC 7662 §2.2).
  if (!active) return { active: false, scopes: [] };
  return {
    active: true,
    scopes: parseScope(scope),
    ...(sub !== undefined ? { subject: sub } : {}),
    ...(client_id !== undefined ? { clientId: client_id } : {}),
    ...(exp !== undefined ? { expiresAt: exp } : {}),
  };
}

/** Throws a non-retryable `OAuthError` (`token_inactive`) when the server says the token is revoked or expired. */
export async function assertTokenActive(options: IntrospectTokenOptions): Promise<Introspection> {
  let result: Introspection;
  try {
    result = await introspectToken(options);
  } catch (error) {
    // The server refused the agent (e.g. invalid_client) or could not answer: on record like any other refusal.
    if (error instanceof OAuthError) {
      await emitOAuthEvent(options, {
        operation: 'introspection',
        outcome: error.retryable ? 'error' : 'denied',
        agent: options.clientAuth.clientId,
        scopesRequested: [],
        scopesGranted: [],
        errorCode: error.oauthCode,
      });
    }
    throw error;
  }
  if (!result.active) {
    await emitOAuthEvent(options, {
      operation: 'revocation',
      outcome: 'denied',
      agent: options.clientAuth.clientId,
      scopesRequested: [],
      scopesGranted: [],
      errorCode: 'token_inactive',
    });
    throw new OAuthError('token_inactive', 'the user token is no longer active (revoked or expired); a fresh token is needed');
  }
  return result;
}

// The verified user behind a run, as read from an access token's claims (RFC 9068 names, with common variants).
import { z } from 'zod';
import { TenantId } from '../tenancy/tenant-id';
import { dedupeScopes, isScopeToken, parseScope } from './scopes';

export const Principal = z.object({
  subject: z.string().min(1),
  tenant: TenantId,
  scopes: z.array(z.string()),
  groups: z.array(z.string()),
  /** Seconds since the epoch (a number, so a principal crosses Temporal's payload converter as is). */
  expiresAt: z.number().int(),
  issuer: z.string(),
  /** The client the user signed in with (`client_id`, else `azp`), when the token says. */
  clientId: z.string().optional(),
});
export type Principal = z.infer<typeof Principal>;

/** The claims Steward reads; anything else in the token is ignored. */
export const PrincipalClaims = z.object({
  sub: z.string().min(1, 'sub is empty'),
  iss: z.string(),
  exp: z.number().int(),
  scope: z.string().optional(),
  // Some servers (Okta, Azure AD) send scopes as an array under `scp`.
  scp: z.union([z.array(z.string()), z.string()]).optional(),
  groups: z.array(z.string()).optional(),
  client_id: z.string().optional(),
  azp: z.string().optional(),
});

/** The claims a token states its scopes in, for readers that need nothing else of it. */
export const ScopeClaims = PrincipalClaims.pick({ scope: true, scp: true });

export function scopesFromClaims(claims: z.infer<typeof ScopeClaims>): string[] {
  if (claims.scope !== undefined) return parseScope(claims.scope);
  if (typeof claims.scp === 'string') return parseScope(claims.scp);
  return dedupeScopes((claims.scp ?? []).filter(isScopeToken));
}

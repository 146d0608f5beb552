// Issues one JWT access token through oidc-provider's own AccessToken model, and records it in the provider's store
// so introspection and revocation know it. Carries Steward's claims: tenant, groups, nbf, and act when delegated.
import { decodeJwt } from 'jose';
import type Provider from 'oidc-provider';
import type { AccessToken, ResourceServerInstance } from 'oidc-provider';

export const ACCESS_TOKEN_ALG = 'ES256';

/** RFC 8693 §4.1: who acts for the subject; nested when an actor itself acted for someone. */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

export interface AccessTokenGrant {
  clientId: string;
  subject: string;
  scopes: readonly string[];
  audience: string;
  tenant: string;
  groups: readonly string[];
  ttlSeconds: number;
  /** How the token came about, kept in the stored record (`gty`). */
  grantType: string;
  act?: ActClaim | undefined;
}

export interface IssuedAccessToken {
  value: string;
  jti: string;
  expiresIn: number;
}

export async function issueAccessToken(provider: Provider, grant: AccessTokenGrant): Promise<IssuedAccessToken> {
  const client = await provider.Client.find(grant.clientId);
  if (!client) throw new Error(`no client ${grant.clientId} is registered`);
  const scope = grant.scopes.join(' ');
  const token = new provider.AccessToken({
    client,
    accountId: grant.subject,
    scope: scope || undefined,
    gty: grant.grantType,
    expiresIn: grant.ttlSeconds,
    resourceServer: jwtResourceServer(grant.audience, scope),
    // oidc-provider copies `extra` into the JWT and the introspection answer (see extraTokenClaims in create-provider).
    extra: {
      tenant: grant.tenant,
      groups: [...grant.groups],
      nbf: Math.floor(Date.now() / 1000),
      ...(grant.act ? { act: grant.act } : {}),
    },
    // No grantId: these tokens come from no authorization grant, and introspection would look one up.
  } as unknown as ConstructorParameters<typeof provider.AccessToken>[0]) as AccessToken;
  const value = await token.save();
  // oidc-provider keeps no record of JWT access tokens (they are meant to be self-contained); storing the same
  // payload an opaque token would have makes AccessToken.find(jti) work, and destroying it is a revocation.
  const claims = decodeJwt(value);
  const record = {
    iat: claims.iat,
    exp: claims.exp,
    jti: token.jti,
    kind: 'AccessToken',
    clientId: grant.clientId,
    accountId: grant.subject,
    aud: claims.aud,
    scope: scope || undefined,
    gty: grant.grantType,
    extra: token.extra,
  };
  await provider.AccessToken.adapter.upsert(token.jti, record, grant.ttlSeconds);
  return { value, jti: token.jti, expiresIn: grant.ttlSeconds };
}

/** A resource server description that makes the provider format the token as a signed JWT with this audience. */
function jwtResourceServer(audience: string, scope: string): ResourceServerInstance {
  return {
    scope,
    audience,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: ACCESS_TOKEN_ALG } },
    scopes: new Set(scope.split(' ')),
    identifier: () => audience,
  };
}

// Configures oidc-provider as Steward's local STS: demo clients, JWT access tokens, introspection, revocation,
// and the token-exchange grant. Interactive login is off: user tokens come from the dev minting endpoint.
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import {
  KEY_AGENT_ID,
  RESOURCE_SERVER_ID,
  RESOURCE_SERVER_SECRET,
  SECRET_AGENT_ID,
  SECRET_AGENT_SECRET,
  SUPPORTED_SCOPES,
  USER_CLIENT_ID,
} from './demo-directory';
import type { StsKeys } from './signing-keys';
import { toPublicJwk } from './signing-keys';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange-grant';

const AGENT_SCOPE = SUPPORTED_SCOPES.filter((scope) => scope !== 'openid').join(' ');

export function createProvider(issuer: string, keys: StsKeys): Provider {
  const clients: ClientMetadata[] = [
    // The app users sign in with; it only ever holds user tokens minted for it.
    { client_id: USER_CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: [], response_types: [], redirect_uris: [] },
    {
      client_id: SECRET_AGENT_ID,
      client_secret: SECRET_AGENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [TOKEN_EXCHANGE_GRANT],
      response_types: [],
      redirect_uris: [],
      scope: AGENT_SCOPE,
    },
    {
      client_id: KEY_AGENT_ID,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [toPublicJwk(keys.agent) as unknown as NonNullable<ClientMetadata['jwks']>['keys'][number]] },
      grant_types: [TOKEN_EXCHANGE_GRANT],
      response_types: [],
      redirect_uris: [],
      scope: AGENT_SCOPE,
    },
    {
      client_id: RESOURCE_SERVER_ID,
      client_secret: RESOURCE_SERVER_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ];

  const configuration: Configuration = {
    clients,
    jwks: { keys: keys.signing as NonNullable<Configuration['jwks']>['keys'] },
    scopes: [...SUPPORTED_SCOPES],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      // Every registered client here is a trusted demo agent or resource server, so each may ask about any token;
      // a production STS would restrict this to the token's own client and its resource servers.
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
    },
    // Claims set by issueAccessToken travel in the token's `extra`; returning them keeps them (the default drops them).
    extraTokenClaims: async (_ctx, token) => (token as { extra?: Record<string, unknown> }).extra,
    clockTolerance: 5,
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  return provider;
}

export function publicJwksOf(keys: StsKeys): JWK[] {
  return keys.signing.map(toPublicJwk);
}

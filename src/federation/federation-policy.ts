// A tenant's federation policy (`settings.federation`): read it fresh for every inbound call, so a revoked token or
// a removed agent is refused at once, and change it from the CLI. Writes go through the registry's operator
// connection; a token's plaintext is returned once by `issueInboundToken` and stored nowhere.
import type { Pool } from 'pg';
import { StewardError } from '../errors';
import { tenantNotFound } from '../tenancy/tenant-registry';
import type { TenantId } from '../tenancy/tenant-id';
import { readTenantSettings, writeTenantSetting } from '../tenancy/tenant-settings';
import { FederationSettings, type FederationMethod, type InboundToken } from './federation-settings';
import { mintInboundToken } from './inbound-token';

const EMPTY: FederationSettings = FederationSettings.parse({});

export async function loadFederationSettings(pool: Pool, tenant: TenantId): Promise<FederationSettings | undefined> {
  return (await readTenantSettings(pool, tenant)).federation;
}

async function changeFederation(admin: Pool, tenant: TenantId, change: (current: FederationSettings) => FederationSettings): Promise<void> {
  const written = await writeTenantSetting(admin, tenant, 'federation', (current) => change(current ?? EMPTY));
  if (!written) throw tenantNotFound(tenant);
}

export interface IssuedToken {
  token: Omit<InboundToken, 'sha256'>;
  /** The bearer token itself: print it once; only its hash is kept. */
  plaintext: string;
}

export async function issueInboundToken(admin: Pool, tenant: TenantId, request: { agent: string; scopes: string[]; expiresAt: Date }): Promise<IssuedToken> {
  if (request.expiresAt.getTime() <= Date.now()) throw new StewardError('INPUT_INVALID', 'expires: must be in the future');
  const minted = mintInboundToken();
  const entry: InboundToken = {
    id: minted.id,
    agent: request.agent,
    sha256: minted.sha256,
    scopes: request.scopes,
    expires_at: request.expiresAt.toISOString(),
    created_at: new Date().toISOString(),
  };
  await changeFederation(admin, tenant, (current) => ({ ...current, tokens: [...current.tokens, entry] }));
  const { sha256: _kept, ...token } = entry;
  return { token, plaintext: minted.plaintext };
}

/** Marks the token revoked (kept, so the trail can still name it); false when the tenant has no such token. */
export async function revokeInboundToken(admin: Pool, tenant: TenantId, id: string): Promise<boolean> {
  let found = false;
  await changeFederation(admin, tenant, (current) => ({
    ...current,
    tokens: current.tokens.map((token) => {
      if (token.id !== id) return token;
      found = true;
      return token.revoked_at ? token : { ...token, revoked_at: new Date().toISOString() };
    }),
  }));
  return found;
}

/** The tenant's tokens without their hashes. */
export async function listInboundTokens(pool: Pool, tenant: TenantId): Promise<Omit<InboundToken, 'sha256'>[]> {
  return ((await loadFederationSettings(pool, tenant))?.tokens ?? []).map(({ sha256: _hash, ...token }) => token);
}

export async function setAgentAllowed(admin: Pool, tenant: TenantId, agent: string, allowed: boolean): Promise<void> {
  await changeFederation(admin, tenant, (current) => {
    const others = current.allow.filter((id) => id !== agent);
    return { ...current, allow: allowed ? [...others, agent] : others };
  });
}

export async function setDefinitionExposed(admin: Pool, tenant: TenantId, definition: string, exposure: { description?: string; version?: number } | undefined): Promise<void> {
  await changeFederation(admin, tenant, (current) => {
    const { [definition]: _replaced, ...others } = current.agents;
    return { ...current, agents: exposure === undefined ? others : { ...others, [definition]: exposure } };
  });
}

export async function setTrustedCa(admin: Pool, tenant: TenantId, name: string, pem: string | undefined): Promise<void> {
  await changeFederation(admin, tenant, (current) => {
    const others = current.trusted_cas.filter((ca) => ca.name !== name);
    return { ...current, trusted_cas: pem === undefined ? others : [...others, { name, pem }] };
  });
}

export async function setMethodScope(admin: Pool, tenant: TenantId, method: FederationMethod, scope: string): Promise<void> {
  await changeFederation(admin, tenant, (current) => ({ ...current, method_scopes: { ...current.method_scopes, [method]: scope } }));
}

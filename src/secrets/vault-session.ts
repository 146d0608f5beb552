// An authenticated Vault client: a static token or an AppRole login, renewed before it expires.
// Errors are rebuilt from status codes alone: the HTTP library's errors carry the token in their request headers.
import createVaultClient from 'node-vault';
import type NodeVault from 'node-vault';
import { z } from 'zod';
import { StewardError } from '../errors';

export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'approle'; roleId: string; secretId: string; mount?: string };

export type VaultAuthEvent = { type: 'login' } | { type: 'renewed'; ttlSeconds: number } | { type: 'renewal_failed'; reason: string };

export interface VaultSessionOptions {
  address: string;
  auth: VaultAuth;
  /** Every request to Vault gives up after this long. */
  timeoutMs?: number;
  namespace?: string;
  /** Renew once this fraction of the token's TTL has passed. */
  renewFraction?: number;
  onAuthEvent?: (event: VaultAuthEvent) => void;
}

export interface VaultSession {
  readonly address: string;
  /** The client, with a fresh token; callers must not keep it across awaits of their own. */
  authorizedClient(): Promise<NodeVault.client>;
  /** Called after Vault answered 403: tells a revoked or expired token apart from a policy refusal. */
  isTokenValid(): Promise<boolean>;
  /** Forgets the token, so the next request logs in again (AppRole) or fails clearly (token). */
  invalidate(): void;
  close(): void;
}

export const DEFAULT_VAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RENEW_FRACTION = 2 / 3;

const AuthBlock = z.object({ client_token: z.string().min(1), lease_duration: z.number().int().min(0), renewable: z.boolean() });
const LoginResponse = z.object({ auth: AuthBlock });
const LookupResponse = z.object({ data: z.object({ ttl: z.number().int().min(0), renewable: z.boolean().optional() }) });

interface TokenState {
  token: string;
  renewable: boolean;
  ttlMs: number;
  /** The TTL granted at login; renewals that grant much less mean the max TTL is near. */
  grantedTtlMs: number;
  /** When the token was issued or last renewed; renewal is due at `since + ttlMs * renewFraction`. */
  since: number;
}

/** Maps a failed Vault call to a coded error that names the operation and status, never the request. */
export function describeVaultFailure(error: unknown, operation: string, address: string): StewardError {
  const status = statusOf(error);
  if (status === undefined) {
    const code = (error as { code?: unknown })?.code;
    const reason = typeof code === 'string' ? code : 'no answer';
    return new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} is unreachable during ${operation} (${reason})`);
  }
  if (status === 403 || status === 401) {
    return new StewardError('SECRET_AUTH_FAILED', `vault at ${address} refused the credentials during ${operation} (HTTP ${status})`);
  }
  return new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} failed during ${operation} (HTTP ${status})`);
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: unknown } })?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function createVaultSession(options: VaultSessionOptions): VaultSession {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS;
  const renewFraction = options.renewFraction ?? DEFAULT_RENEW_FRACTION;
  const client = createVaultClient({
    apiVersion: 'v1',
    endpoint: options.address,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    requestOptions: { timeout: timeoutMs },
  });
  // node-vault falls back to VAULT_TOKEN from the environment; only the configured credentials may be used.
  client.token = '';
  const emit = (event: VaultAuthEvent) => options.onAuthEvent?.(event);
  let state: TokenState | undefined;
  let pending: Promise<TokenState> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const adopt = (next: TokenState): TokenState => {
    state = next;
    client.token = next.token;
    scheduleRenewal(next);
    return next;
  };

  // Renews in the background too, so an idle worker's token does not lapse between activities.
  const scheduleRenewal = (current: TokenState) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed || current.ttlMs === 0) return;
    timer = setTimeout(() => {
      refresh().catch(() => undefined);
    }, Math.max(1, current.ttlMs * renewFraction));
    timer.unref();
  };

  const login = async (): Promise<TokenState> => {
    if (options.auth.method === 'token') {
      client.token = options.auth.token;
      const lookup = LookupResponse.safeParse(await client.tokenLookupSelf().catch((error: unknown) => {
        throw describeVaultFailure(error, 'token lookup', options.address);
      }));
      if (!lookup.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${options.address} sent a malformed token lookup`);
      const ttlMs = lookup.data.data.ttl * 1000;
      return adopt({ token: options.auth.token, renewable: lookup.data.data.renewable ?? false, ttlMs, grantedTtlMs: ttlMs, since: Date.now() });
    }
    const mount = options.auth.mount ?? 'approle';
    client.token = '';
    const answer = await client
      .write(`auth/${mount}/login`, { role_id: options.auth.roleId, secret_id: options.auth.secretId })
      .catch((error: unknown) => {
        // Vault answers a wrong role or secret id with 400, not 403.
        if (statusOf(error) === 400) {
          throw new StewardError('SECRET_AUTH_FAILED', `vault at ${options.address} refused the AppRole credentials during approle login (HTTP 400)`);
        }
        throw describeVaultFailure(error, 'approle login', options.address);
      });
    const parsed = LoginResponse.safeParse(answer);
    if (!parsed.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${options.address} sent a malformed login answer`);
    emit({ type: 'login' });
    const { client_token, lease_duration, renewable } = parsed.data.auth;
    return adopt({ token: client_token, renewable, ttlMs: lease_duration * 1000, grantedTtlMs: lease_duration * 1000, since: Date.now() });
  };

  const renew = async (current: TokenState): Promise<TokenState | undefined> => {
    try {
      const parsed = LoginResponse.safeParse(await client.tokenRenewSelf({}));
      if (!parsed.success) throw new Error('malformed renewal answer');
      const ttlMs = parsed.data.auth.lease_duration * 1000;
      // Near the token's max TTL Vault grants less than asked; an AppRole session then logs in afresh instead.
      if (options.auth.method === 'approle' && ttlMs < current.grantedTtlMs / 2) return undefined;
      emit({ type: 'renewed', ttlSeconds: parsed.data.auth.lease_duration });
      return adopt({ ...current, ttlMs, renewable: parsed.data.auth.renewable, since: Date.now() });
    } catch (error) {
      emit({ type: 'renewal_failed', reason: describeVaultFailure(error, 'token renewal', options.address).message });
      return undefined;
    }
  };

  const refresh = (): Promise<TokenState> => {
    pending ??= (async () => {
      const current = state;
      if (current?.renewable) {
        const renewed = await renew(current);
        if (renewed) return renewed;
      }
      if (options.auth.method === 'approle' || current === undefined) return login();
      // A static token that cannot be renewed stays in use until Vault refuses it.
      return current;
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const isDue = (current: TokenState) => current.ttlMs > 0 && Date.now() >= current.since + current.ttlMs * renewFraction;

  return {
    address: options.address,
    async authorizedClient() {
      if (closed) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', 'the vault session is closed');
      const current = pending ? await pending : state;
      if (current === undefined || isDue(current)) await refresh();
      return client;
    },
    async isTokenValid() {
      try {
        await client.tokenLookupSelf();
        return true;
      } catch (error) {
        if (statusOf(error) === 403) return false;
        throw describeVaultFailure(error, 'token lookup', options.address);
      }
    },
    invalidate() {
      state = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

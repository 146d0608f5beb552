// The priority chain: backends are asked in order and the first that has the secret wins. "Not found" moves on;
// a backend error stops the chain (fail closed) unless `failOpen` is set, so an outage never silently downgrades.
import { isStewardError, StewardError } from '../errors';
import { parseSecretReference, type SecretReference } from '../ir/secret-reference';
import type { Scrubber } from './scrubber';
import { DEFAULT_VAULT_TENANT_PREFIX, formatSecretReference, locateTenantSecret } from './tenant-secret-paths';
import type { ResolveContext, SecretBackend, SecurityEventListener } from './types';

export interface SecretResolverOptions {
  /** In priority order. */
  backends: SecretBackend[];
  /** When true, a backend error moves on to the next backend (and reports `secret_fallback`). Default false. */
  failOpen?: boolean;
  /** How long a resolved value stays in worker memory; 0 disables the cache. Default one minute. */
  cacheTtlMs?: number;
  /** The tenant scope every `vault:` reference must fall under, checked before any backend is asked. */
  vaultPrefixTemplate?: string;
  onSecurityEvent?: SecurityEventListener;
  /** Learns every resolved value, so it can be scrubbed from whatever leaves the activity. */
  scrubber?: Scrubber;
}

export interface ResolvedSecret {
  value: string;
  /** The name of the backend that answered. */
  backend: string;
}

export interface SecretResolver {
  /** Resolves one reference for a tenant; `name` is the definition's name for it, used in errors and events. */
  resolveSecret(name: string, reference: string | SecretReference, context: ResolveContext): Promise<ResolvedSecret>;
  /** Resolves the named entries of a definition's `secrets` map (all of them when `names` is omitted). */
  resolveSecrets(secrets: Record<string, string>, context: ResolveContext, names?: readonly string[]): Promise<Record<string, string>>;
  clearCache(): void;
  close(): Promise<void>;
}

export const DEFAULT_CACHE_TTL_MS = 60_000;
const MAX_CACHE_ENTRIES = 10_000;

interface CacheEntry extends ResolvedSecret {
  expiresAt: number;
}

function asStewardError(error: unknown, backend: string): StewardError {
  if (isStewardError(error)) return error;
  // An unexpected error's message may quote anything; only its type is kept.
  const kind = error instanceof Error ? error.name : typeof error;
  return new StewardError('SECRET_BACKEND_UNAVAILABLE', `secret backend ${backend} failed unexpectedly (${kind})`);
}

export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  if (options.backends.length === 0) throw new TypeError('a secret resolver needs at least one backend');
  const ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const template = options.vaultPrefixTemplate ?? DEFAULT_VAULT_TENANT_PREFIX;
  const cache = new Map<string, CacheEntry>();
  const emit = options.onSecurityEvent ?? (() => undefined);

  const deny = (name: string, tenant: string, error: StewardError): never => {
    emit({ type: 'secret_denied', tenant, reference_name: name, reason: error.message });
    throw new StewardError('SECRET_DENIED', `secret ${name} is denied for tenant ${tenant}: ${error.message}`);
  };

  const remember = (key: string, name: string, tenant: string, resolved: ResolvedSecret) => {
    options.scrubber?.remember(name, resolved.value, tenant);
    if (ttlMs <= 0) return;
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, { ...resolved, expiresAt: Date.now() + ttlMs });
  };

  const resolveSecret = async (name: string, referenceInput: string | SecretReference, context: ResolveContext): Promise<ResolvedSecret> => {
    const reference = typeof referenceInput === 'string' ? parseSecretReference(referenceInput) : referenceInput;
    const { tenant } = context;
    try {
      locateTenantSecret(reference, tenant, template);
    } catch (error) {
      if (isStewardError(error, 'SECRET_DENIED')) deny(name, tenant, error);
      throw error;
    }
    const key = `${tenant}\u0000${formatSecretReference(reference)}`;
    const cached = cache.get(key);
    if (cached && cached.expiresAt > Date.now()) {
      options.scrubber?.remember(name, cached.value, tenant);
      return { value: cached.value, backend: cached.backend };
    }
    cache.delete(key);

    let skipped: StewardError | undefined;
    for (const backend of options.backends) {
      let answer;
      try {
        answer = await backend.resolve(reference, context);
      } catch (raw) {
        const error = asStewardError(raw, backend.name);
        if (error.code === 'SECRET_DENIED') deny(name, tenant, error);
        if (!options.failOpen) {
          throw new StewardError(error.code, `secret ${name} could not be resolved: ${error.message}`);
        }
        emit({ type: 'secret_fallback', tenant, reference_name: name, backend: backend.name, reason: error.message });
        skipped ??= error;
        continue;
      }
      if (answer.found) {
        const resolved = { value: answer.value, backend: backend.name };
        remember(key, name, tenant, resolved);
        return resolved;
      }
    }
    // A backend that failed may hold the secret, so "not found" would be a guess.
    if (skipped) throw new StewardError(skipped.code, `secret ${name} could not be resolved: ${skipped.message}`);
    const names = options.backends.map((backend) => backend.name).join(', ');
    throw new StewardError('SECRET_NOT_FOUND', `secret ${name} was not found for tenant ${tenant} (backends: ${names})`);
  };

  return {
    resolveSecret,
    async resolveSecrets(secrets, context, names = Object.keys(secrets)) {
      const resolved: Record<string, string> = {};
      for (const name of names) {
        const reference = secrets[name];
        if (reference === undefined) throw new StewardError('SECRET_NOT_FOUND', `secret ${name} is not declared under secrets`);
        resolved[name] = (await resolveSecret(name, reference, context)).value;
      }
      return resolved;
    },
    clearCache() {
      cache.clear();
    },
    async close() {
      cache.clear();
      await Promise.all(options.backends.map((backend) => backend.close?.()));
    },
  };
}

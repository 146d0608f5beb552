// The Vault backend: KV v2 reads (latest or a pinned version) inside the tenant's prefix.
// `file:<name>#<key>` references resolve here too, at `<tenant prefix>/<name>`, so Vault can lead a chain for them.
import { z } from 'zod';
import { StewardError } from '../errors';
import type { SecretReference } from '../ir/secret-reference';
import { DEFAULT_VAULT_TENANT_PREFIX, locateTenantSecret, renderTenantPrefix } from './tenant-secret-paths';
import type { BackendResult, ResolveContext, SecretBackend } from './types';
import { createVaultSession, describeVaultFailure, statusOf, type VaultSession, type VaultSessionOptions } from './vault-session';

export interface VaultBackendOptions extends VaultSessionOptions {
  /** Where each tenant's secrets live, with `{tenant}`; a KV v2 data path (`<mount>/data/…`). */
  tenantPrefixTemplate?: string;
}

const KvReadResponse = z.object({
  data: z.object({
    data: z.record(z.string(), z.unknown()).nullable(),
    metadata: z.object({ version: z.number().int(), deletion_time: z.string().optional(), destroyed: z.boolean().optional() }).nullable().optional(),
  }),
});

function toSecretText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function createVaultBackend(options: VaultBackendOptions): SecretBackend {
  const session: VaultSession = createVaultSession(options);
  const template = options.tenantPrefixTemplate ?? DEFAULT_VAULT_TENANT_PREFIX;

  const readKv = async (path: string, retried = false): Promise<unknown> => {
    const client = await session.authorizedClient();
    try {
      return await client.read(path);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return undefined;
      if (status !== 403) throw describeVaultFailure(error, 'a KV read', options.address);
      if (await session.isTokenValid()) {
        throw new StewardError('SECRET_DENIED', `vault policy denies the read of ${path.replace(/\?.*$/, '')}`);
      }
      if (options.auth.method === 'approle' && !retried) {
        session.invalidate();
        return readKv(path, true);
      }
      throw new StewardError('SECRET_AUTH_FAILED', `vault at ${options.address} rejected the token: it is revoked or expired`);
    }
  };

  return {
    name: 'vault',
    async resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult> {
      const location = locateTenantSecret(reference, context.tenant, template);
      if (location === undefined) return { found: false };
      const path = `${renderTenantPrefix(template, context.tenant)}/${location.path}`;
      const answer = await readKv(location.version === undefined ? path : `${path}?version=${location.version}`);
      if (answer === undefined) return { found: false };
      const parsed = KvReadResponse.safeParse(answer);
      if (!parsed.success) {
        throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${options.address} sent a malformed KV v2 answer for ${path}`);
      }
      const { data, metadata } = parsed.data.data;
      // A deleted or destroyed version answers with metadata and no data.
      if (data === null || metadata?.destroyed === true || (metadata?.deletion_time ?? '') !== '') return { found: false };
      if (!Object.hasOwn(data, location.key)) return { found: false };
      return { found: true, value: toSecretText(data[location.key]) };
    },
    close() {
      session.close();
    },
  };
}

// Where a tenant's secrets may live. A reference resolves only inside its tenant's own prefix, so tenant A's
// definition can never name tenant B's secrets, whatever path it writes.
import { StewardError } from '../errors';
import { TENANT_ROOT, type SecretReference } from '../ir/secret-reference';
import { assertTenantId } from '../tenancy/tenant-id';

/** The Vault KV v2 data path under which a tenant's secrets live; `{tenant}` is replaced by the tenant id. */
export const DEFAULT_VAULT_TENANT_PREFIX = 'secret/data/tenants/{tenant}';
export const TENANT_PLACEHOLDER = '{tenant}';
/** The Secrets Manager name prefix of a tenant's secrets: `aws:<name>` reads `<prefix><name>`. */
export const DEFAULT_AWS_SECRET_PREFIX = 'steward/{tenant}/';

/** A secret inside one tenant's space: `path` is relative to the tenant's root (e.g. `llm`, `team/llm`). */
export interface TenantSecretLocation {
  path: string;
  key: string;
  version?: number;
}

/** The tenant's Vault prefix, without a trailing slash. */
export function renderTenantPrefix(template: string, tenant: string): string {
  const tenantId = assertTenantId(tenant);
  return template.split(TENANT_PLACEHOLDER).join(tenantId).replace(/\/+$/, '');
}

/**
 * Places a `vault:` or `file:` reference inside the tenant's space (`vault:~/…` is relative to it already), or returns undefined for references that are
 * not tenant-scoped by a path here (`env:`, and `aws:`, which its backend places under the tenant's name prefix). A Vault path outside the tenant's prefix throws `SECRET_DENIED`.
 */
export function locateTenantSecret(
  reference: SecretReference,
  tenant: string,
  vaultPrefixTemplate = DEFAULT_VAULT_TENANT_PREFIX,
): TenantSecretLocation | undefined {
  switch (reference.backend) {
    case 'env':
    case 'aws':
      return undefined;
    case 'file':
      return { path: reference.name, key: reference.key };
    case 'vault': {
      if (reference.mount === TENANT_ROOT) return withVersion({ path: reference.path, key: reference.key }, reference.version);
      const prefix = renderTenantPrefix(vaultPrefixTemplate, tenant);
      const full = `${reference.mount}/${reference.path}`;
      if (!full.startsWith(`${prefix}/`) || full.length === prefix.length + 1) {
        throw new StewardError('SECRET_DENIED', `the vault path is outside tenant ${tenant}'s prefix ${prefix}/`);
      }
      return withVersion({ path: full.slice(prefix.length + 1), key: reference.key }, reference.version);
    }
  }
}

function withVersion(location: TenantSecretLocation, version: number | undefined): TenantSecretLocation {
  return version === undefined ? location : { ...location, version };
}

/** Prints a reference in its canonical text form (the cache key and the name used in reports). */
export function formatSecretReference(reference: SecretReference): string {
  switch (reference.backend) {
    case 'env':
      return `env:${reference.name}`;
    case 'aws':
      return `aws:${reference.name}${reference.key === undefined ? '' : `#${reference.key}`}`;
    case 'file':
      return `file:${reference.name}#${reference.key}`;
    case 'vault':
      return `vault:${reference.mount}/${reference.path}#${reference.key}${reference.version === undefined ? '' : `@${reference.version}`}`;
  }
}

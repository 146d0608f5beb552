// The env backend: `env:<NAME>` from the worker's environment, limited to names with a configured prefix so a
// definition can never read the worker's own credentials (DATABASE_URL, VAULT_TOKEN, …).
import { StewardError } from '../errors';
import type { SecretReference } from '../ir/secret-reference';
import { assertTenantId } from '../tenancy/tenant-id';
import { TENANT_PLACEHOLDER } from './tenant-scope';
import type { BackendResult, ResolveContext, SecretBackend } from './types';

export const DEFAULT_ENV_PREFIX = 'STEWARD_SECRET_';

export interface EnvBackendOptions {
  /** Names must start with this; `{tenant}` in it becomes the tenant id in upper case with `_` for `-`. */
  prefix?: string;
  env?: NodeJS.ProcessEnv;
}

export function renderEnvPrefix(prefix: string, tenant: string): string {
  if (!prefix.includes(TENANT_PLACEHOLDER)) return prefix;
  const tenantPart = assertTenantId(tenant).toUpperCase().replace(/-/g, '_');
  return prefix.split(TENANT_PLACEHOLDER).join(tenantPart);
}

export function createEnvBackend(options: EnvBackendOptions = {}): SecretBackend {
  const prefix = options.prefix ?? DEFAULT_ENV_PREFIX;
  if (prefix === '') throw new TypeError('the env secret prefix must not be empty: it keeps the worker’s own variables out of reach');
  const env = options.env ?? process.env;
  return {
    name: 'env',
    async resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult> {
      if (reference.backend !== 'env') return { found: false };
      const required = renderEnvPrefix(prefix, context.tenant);
      if (!reference.name.startsWith(required) || reference.name.length === required.length) {
        throw new StewardError('SECRET_DENIED', `env secret ${reference.name} does not start with the allowed prefix ${required}`);
      }
      const value = env[reference.name];
      return value === undefined || value === '' ? { found: false } : { found: true, value };
    },
  };
}

// The env backend: `env:<NAME>` from the worker's environment, limited to names with a configured prefix so a
// definition can never read the worker's own credentials (DATABASE_URL, VAULT_TOKEN, …). The prefix holds the
// tenant (`STEWARD_SECRET_{tenant}_`), so a tenant reads its own variables and no other tenant's.
import { StewardError } from '../errors';
import type { SecretReference } from '../ir/secret-reference';
import { assertTenantId } from '../tenancy/tenant-id';
import { TENANT_PLACEHOLDER } from './tenant-secret-paths';
import type { BackendResult, ResolveContext, SecretBackend } from './types';

export const DEFAULT_ENV_PREFIX = `STEWARD_SECRET_${TENANT_PLACEHOLDER}_`;

export interface EnvBackendOptions {
  /** Names must start with this; `{tenant}` in it becomes the tenant id in upper case, with `__` for `-`. */
  prefix?: string;
  /** Allows a prefix without `{tenant}`: every tenant then reads every variable that carries it. */
  sharedAcrossTenants?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * What is wrong with a prefix, if anything. A tenant's part must end the prefix, followed by `_`: with `-` written
 * `__` and names after the prefix never starting with `_`, no variable name falls under two tenants' prefixes
 * (tenant `acme` cannot read `acme-eu`'s STEWARD_SECRET_ACME__EU_…).
 */
export function envPrefixProblem(prefix: string, sharedAcrossTenants = false): string | undefined {
  if (prefix === '') return 'must not be empty: it keeps the worker’s own variables out of reach';
  const placeholders = prefix.split(TENANT_PLACEHOLDER).length - 1;
  if (placeholders === 0) {
    return sharedAcrossTenants
      ? undefined
      : `must contain ${TENANT_PLACEHOLDER} (e.g. ${DEFAULT_ENV_PREFIX}), or every tenant reads every such variable; ` +
          'set STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS=true to allow that';
  }
  if (placeholders > 1 || !prefix.endsWith(`${TENANT_PLACEHOLDER}_`)) return `must end with ${TENANT_PLACEHOLDER}_ and hold ${TENANT_PLACEHOLDER} once`;
  return undefined;
}

export function renderEnvPrefix(prefix: string, tenant: string): string {
  if (!prefix.includes(TENANT_PLACEHOLDER)) return prefix;
  const tenantPart = assertTenantId(tenant).toUpperCase().replace(/-/g, '__');
  return prefix.split(TENANT_PLACEHOLDER).join(tenantPart);
}

export function createEnvBackend(options: EnvBackendOptions = {}): SecretBackend {
  const prefix = options.prefix ?? DEFAULT_ENV_PREFIX;
  const problem = envPrefixProblem(prefix, options.sharedAcrossTenants);
  if (problem) throw new TypeError(`the env secret prefix ${problem}`);
  const perTenant = prefix.includes(TENANT_PLACEHOLDER);
  const env = options.env ?? process.env;
  return {
    name: 'env',
    async resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult> {
      if (reference.backend !== 'env') return { found: false };
      const required = renderEnvPrefix(prefix, context.tenant);
      const rest = reference.name.slice(required.length);
      if (!reference.name.startsWith(required) || rest === '' || (perTenant && rest.startsWith('_'))) {
        throw new StewardError('SECRET_DENIED', `env secret ${reference.name} is not under tenant ${context.tenant}'s prefix ${required}`);
      }
      const value = env[reference.name];
      return value === undefined || value === '' ? { found: false } : { found: true, value };
    },
  };
}

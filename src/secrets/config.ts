// The secret chain's configuration, read from the environment and validated once at start-up.
// Each variable below is documented where it is declared.
import { z } from 'zod';
import { StewardError } from '../errors';
import { DEFAULT_ENV_PREFIX, envPrefixProblem } from './env-backend';
import { DEFAULT_CACHE_TTL_MS } from './resolver';
import { DEFAULT_AWS_SECRET_PREFIX, DEFAULT_VAULT_TENANT_PREFIX, TENANT_PLACEHOLDER } from './tenant-secret-paths';
import { DEFAULT_VAULT_TIMEOUT_MS } from './vault-session';
import { formatZodIssues } from '../common/zod-issues';

export const BACKEND_NAMES = ['vault', 'file', 'env', 'aws'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const flag = z.enum(['true', 'false', '1', '0']).transform((text) => text === 'true' || text === '1');
const optionalText = z.string().min(1).optional().catch(undefined);
const backendList = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim()).filter((name) => name !== ''))
  .pipe(z.array(z.enum(BACKEND_NAMES)).min(1, 'name at least one backend').refine((names) => new Set(names).size === names.length, 'each backend at most once'));

export const SecretsEnv = z.object({
  /** Backends in priority order, comma-separated (vault, file, env). Default: vault if VAULT_ADDR is set, file if STEWARD_SECRETS_DIR is set, then env. */
  STEWARD_SECRET_BACKENDS: backendList.optional(),
  /** When true, a failing backend is skipped instead of failing the resolution (a `secret_fallback` event is reported). */
  STEWARD_SECRET_FAIL_OPEN: flag.default(false),
  /** How long resolved values stay in worker memory, in milliseconds (0 disables the cache). */
  STEWARD_SECRET_CACHE_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(DEFAULT_CACHE_TTL_MS),
  /** Vault's address, e.g. http://127.0.0.1:8200. */
  VAULT_ADDR: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  /** A Vault token; alternatively VAULT_ROLE_ID and VAULT_SECRET_ID for an AppRole login. */
  VAULT_TOKEN: optionalText,
  VAULT_ROLE_ID: optionalText,
  VAULT_SECRET_ID: optionalText,
  /** The AppRole auth mount. */
  VAULT_APPROLE_MOUNT: z.string().regex(/^[A-Za-z0-9_-]+$/).default('approle'),
  /** A Vault Enterprise namespace, when used. */
  VAULT_NAMESPACE: optionalText,
  /** Timeout of every request to Vault, in milliseconds. */
  STEWARD_VAULT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(DEFAULT_VAULT_TIMEOUT_MS),
  /** Where each tenant's secrets live in Vault (a KV v2 data path); must contain {tenant}. */
  STEWARD_VAULT_TENANT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}./-]+$/, 'a Vault path')
    .refine((text) => text.includes(TENANT_PLACEHOLDER), `must contain ${TENANT_PLACEHOLDER}`)
    .default(DEFAULT_VAULT_TENANT_PREFIX),
  /** The file backend's folder: <dir>/<tenant>/<name>.json. */
  STEWARD_SECRETS_DIR: z.string().min(1).optional(),
  /** env: references must start with this prefix, which ends with the tenant: STEWARD_SECRET_{tenant}_ reads
   *  STEWARD_SECRET_ACME_OPENAI for tenant acme (a `-` in the tenant id is written `__`: ACME__EU for acme-eu). */
  STEWARD_SECRET_ENV_PREFIX: z.string().regex(/^[A-Za-z_][A-Za-z0-9_{}]*$/, 'letters, digits, _ and {tenant}').default(DEFAULT_ENV_PREFIX),
  /** The AWS region of Secrets Manager (the aws backend); credentials come from the SDK's default chain. */
  AWS_REGION: optionalText,
  /** Another Secrets Manager endpoint than AWS's own (a VPC endpoint, or a server speaking the protocol). */
  STEWARD_AWS_SECRETS_ENDPOINT: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  /** Where each tenant's AWS secrets are named: aws:<name> reads <prefix><name>; must contain {tenant}. */
  STEWARD_AWS_SECRET_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}/+=.@-]+$/, 'a Secrets Manager name prefix')
    .refine((text) => text.includes(TENANT_PLACEHOLDER), `must contain ${TENANT_PLACEHOLDER}`)
    .default(DEFAULT_AWS_SECRET_PREFIX),
  /** Allows STEWARD_SECRET_ENV_PREFIX without {tenant}, knowing that every tenant then reads every such variable. */
  STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS: flag.default(false),
}).superRefine((env, context) => {
  const problem = envPrefixProblem(env.STEWARD_SECRET_ENV_PREFIX, env.STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS);
  if (problem) context.addIssue({ code: 'custom', path: ['STEWARD_SECRET_ENV_PREFIX'], message: problem });
});
export type SecretsEnv = z.infer<typeof SecretsEnv>;

export type VaultAuthConfig = { method: 'token'; token: string } | { method: 'approle'; roleId: string; secretId: string; mount: string };

export interface SecretsConfig {
  backends: BackendName[];
  failOpen: boolean;
  cacheTtlMs: number;
  vaultPrefixTemplate: string;
  vault?: { address: string; auth: VaultAuthConfig; timeoutMs: number; namespace?: string };
  file?: { dir: string };
  env: { prefix: string; sharedAcrossTenants: boolean };
  aws?: { region: string; endpoint?: string; prefixTemplate: string; timeoutMs: number };
}

function fail(problems: string[]): never {
  throw new StewardError('CONFIG_INVALID', `invalid secrets configuration: ${problems.join('; ')}`);
}

function readVaultAuth(env: SecretsEnv): VaultAuthConfig | undefined {
  if (env.VAULT_ROLE_ID !== undefined || env.VAULT_SECRET_ID !== undefined) {
    if (env.VAULT_ROLE_ID === undefined || env.VAULT_SECRET_ID === undefined) fail(['VAULT_ROLE_ID and VAULT_SECRET_ID: set both for AppRole']);
    return { method: 'approle', roleId: env.VAULT_ROLE_ID, secretId: env.VAULT_SECRET_ID, mount: env.VAULT_APPROLE_MOUNT };
  }
  return env.VAULT_TOKEN === undefined ? undefined : { method: 'token', token: env.VAULT_TOKEN };
}

/** Validates the secret settings, failing fast with the variable's name (never its value). */
export function loadSecretsConfig(source: NodeJS.ProcessEnv = process.env): SecretsConfig {
  const parsed = SecretsEnv.safeParse(source);
  if (!parsed.success) fail([formatZodIssues(parsed.error)]);
  const env = parsed.data;
  const backends: BackendName[] = env.STEWARD_SECRET_BACKENDS ?? [
    ...(env.VAULT_ADDR ? (['vault'] as const) : []),
    ...(env.STEWARD_SECRETS_DIR ? (['file'] as const) : []),
    'env',
  ];
  const config: SecretsConfig = {
    backends,
    failOpen: env.STEWARD_SECRET_FAIL_OPEN,
    cacheTtlMs: env.STEWARD_SECRET_CACHE_TTL_MS,
    vaultPrefixTemplate: env.STEWARD_VAULT_TENANT_PREFIX,
    env: { prefix: env.STEWARD_SECRET_ENV_PREFIX, sharedAcrossTenants: env.STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS },
  };
  if (backends.includes('vault')) {
    const auth = readVaultAuth(env);
    if (!env.VAULT_ADDR) fail(['VAULT_ADDR: required when the vault backend is used']);
    if (!auth) fail(['VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID: required when the vault backend is used']);
    config.vault = {
      address: env.VAULT_ADDR,
      auth,
      timeoutMs: env.STEWARD_VAULT_TIMEOUT_MS,
      ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
    };
  }
  if (backends.includes('file')) {
    if (!env.STEWARD_SECRETS_DIR) fail(['STEWARD_SECRETS_DIR: required when the file backend is used']);
    config.file = { dir: env.STEWARD_SECRETS_DIR };
  }
  if (backends.includes('aws')) {
    if (!env.AWS_REGION) fail(['AWS_REGION: required when the aws backend is used']);
    config.aws = {
      region: env.AWS_REGION,
      prefixTemplate: env.STEWARD_AWS_SECRET_PREFIX,
      timeoutMs: env.STEWARD_VAULT_TIMEOUT_MS,
      ...(env.STEWARD_AWS_SECRETS_ENDPOINT ? { endpoint: env.STEWARD_AWS_SECRETS_ENDPOINT } : {}),
    };
  }
  return config;
}

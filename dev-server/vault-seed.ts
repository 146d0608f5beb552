// Prepares the dev Vault: KV v2 at secret/ (and at pii-keys/ for PII subject keys), AppRole and Transit, then per
// tenant a policy (its own prefix read-only, its own subject keys), an AppRole role bound to it, and demo secrets.
// Idempotent: running it twice changes nothing.
import createVaultClient from 'node-vault';
import type NodeVault from 'node-vault';
import { z } from 'zod';
import { CodecEnv } from '../src/codec/config';
import { DEFAULT_VAULT_TENANT_PREFIX, renderTenantPrefix } from '../src/secrets/tenant-secret-paths';
import { describeVaultFailure, statusOf } from '../src/secrets/vault-session';
import { DEV_MODEL_SERVER_KEY } from './model-server/server';
import { SECRET_AGENT_SECRET } from './sts/demo-directory';

export const DEMO_TENANTS = ['demo', 'acme', 'globex'] as const;

/** The model keys a tenant holds in Vault. The demo tenants' are their own (the local model server is started with
 *  them), so a test can tell whose secret it got; a tenant created later holds the model server's dev key. */
function demoModelSecrets(tenant: string): Record<string, string> {
  if (!(DEMO_TENANTS as readonly string[]).includes(tenant)) return { openai: DEV_MODEL_SERVER_KEY, anthropic: DEV_MODEL_SERVER_KEY };
  return { openai: `sk-steward-demo-${tenant}-openai`, anthropic: `sk-steward-demo-${tenant}-anthropic` };
}

/** Demo values are obviously fake and per tenant. */
const DEMO_SECRETS: Record<string, (tenant: string) => Record<string, string>> = {
  llm: demoModelSecrets,
  // expense_agent is the local STS's own client secret for the expense agent (examples/expense-approval.yaml).
  agents: (tenant) => ({ expense: `steward-demo-${tenant}-expense-client-secret`, expense_agent: SECRET_AGENT_SECRET }),
};

/** The provider keys the demo tenants hold in Vault: the local model server accepts them (and its own dev key). */
export function demoModelKeys(tenants: readonly string[]): string[] {
  return tenants.flatMap((tenant) => Object.values(demoModelSecrets(tenant)));
}

export interface SeedVaultOptions {
  address: string;
  rootToken: string;
  tenants: readonly string[];
}

export interface SeededTenant {
  policy: string;
  role: string;
  roleId: string;
  /** A fresh AppRole secret id, issued on every seeding; for local use only. */
  secretId: string;
  /** The KV v2 data prefix the tenant's policy allows. */
  prefix: string;
}

export interface SeededVault {
  tenants: Record<string, SeededTenant>;
}

const MountTable = z.record(z.string(), z.unknown());
const MountInfo = z.object({ type: z.string(), options: z.record(z.string(), z.string()).nullable().optional() });
const RoleIdAnswer = z.object({ data: z.object({ role_id: z.string() }) });
const SecretIdAnswer = z.object({ data: z.object({ secret_id: z.string() }) });
const KvAnswer = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()).nullable() }) });

export function policyName(tenant: string): string {
  return `steward-tenant-${tenant}`;
}

function metadataPrefix(dataPrefix: string): string {
  return dataPrefix.replace(/^([^/]+)\/data\//, '$1/metadata/');
}

/** The KV v2 mount of the PII vault's subject keys (STEWARD_PII_KEYS_MOUNT's default). */
const PII_KEYS_MOUNT = CodecEnv.shape.STEWARD_PII_KEYS_MOUNT.parse(undefined);

/** Read-only access to the tenant's own data and metadata paths; its own PII subject keys, made, read and
 *  destroyed (never listed); nothing else. */
export function tenantPolicy(tenant: string): string {
  const prefix = renderTenantPrefix(DEFAULT_VAULT_TENANT_PREFIX, tenant);
  return [
    `path "${prefix}/*" {\n  capabilities = ["read"]\n}`,
    `path "${metadataPrefix(prefix)}/*" {\n  capabilities = ["read", "list"]\n}`,
    `path "${PII_KEYS_MOUNT}/data/tenants/${tenant}/subject-keys/*" {\n  capabilities = ["create", "update", "read"]\n}`,
    `path "${PII_KEYS_MOUNT}/metadata/tenants/${tenant}/subject-keys/*" {\n  capabilities = ["delete"]\n}`,
  ].join('\n');
}

// Mount tables list entries as `<path>/`; some Vault versions wrap them in `data` as well.
async function readMounts(read: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const table = MountTable.parse(await read());
  const data = MountTable.safeParse(table.data);
  return data.success ? { ...table, ...data.data } : table;
}

async function ensureSecretEngines(vault: NodeVault.client): Promise<void> {
  const mounts = await readMounts(() => vault.mounts());
  const kv = MountInfo.safeParse(mounts['secret/']);
  if (!kv.success) {
    await vault.mount({ mount_point: 'secret', type: 'kv', options: { version: '2' } });
  } else if (kv.data.type !== 'kv' || kv.data.options?.version !== '2') {
    throw new Error('vault has secret/ mounted, but not as KV v2');
  }
  if (mounts['transit/'] === undefined) await vault.mount({ mount_point: 'transit', type: 'transit' });
  if (mounts[`${PII_KEYS_MOUNT}/`] === undefined) await vault.mount({ mount_point: PII_KEYS_MOUNT, type: 'kv', options: { version: '2' } });
  const auths = await readMounts(() => vault.auths());
  if (auths['approle/'] === undefined) await vault.enableAuth({ mount_point: 'approle', type: 'approle' });
}

async function writeIfChanged(vault: NodeVault.client, path: string, data: Record<string, string>): Promise<void> {
  try {
    const current = KvAnswer.parse(await vault.read(path)).data.data ?? {};
    const same = Object.keys(current).length === Object.keys(data).length && Object.entries(data).every(([key, value]) => current[key] === value);
    if (same) return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  await vault.write(path, { data });
}

async function seedTenant(vault: NodeVault.client, tenant: string): Promise<SeededTenant> {
  const prefix = renderTenantPrefix(DEFAULT_VAULT_TENANT_PREFIX, tenant);
  const policy = policyName(tenant);
  await vault.addPolicy({ name: policy, rules: tenantPolicy(tenant) });
  const role = policy;
  await vault.write(`auth/approle/role/${role}`, { token_policies: [policy], token_ttl: '1h', token_max_ttl: '4h' });
  const roleId = RoleIdAnswer.parse(await vault.read(`auth/approle/role/${role}/role-id`)).data.role_id;
  const secretId = SecretIdAnswer.parse(await vault.write(`auth/approle/role/${role}/secret-id`, {})).data.secret_id;
  for (const [name, values] of Object.entries(DEMO_SECRETS)) await writeIfChanged(vault, `${prefix}/${name}`, values(tenant));
  return { policy, role, roleId, secretId, prefix };
}

export async function seedVault(options: SeedVaultOptions): Promise<SeededVault> {
  const vault = createVaultClient({ endpoint: options.address, token: options.rootToken, requestOptions: { timeout: 10_000 } });
  try {
    await ensureSecretEngines(vault);
    const tenants: Record<string, SeededTenant> = {};
    for (const tenant of options.tenants) tenants[tenant] = await seedTenant(vault, tenant);
    return { tenants };
  } catch (error) {
    // The HTTP library's errors hold the root token in their request headers: rethrow only what went wrong.
    const status = statusOf(error);
    // eslint-disable-next-line preserve-caught-error -- the cause would carry the root token
    if (status !== undefined) throw new Error(`seeding vault at ${options.address} failed (HTTP ${status}): ${(error as Error).message}`);
    if (typeof (error as { code?: unknown })?.code === 'string') throw describeVaultFailure(error, 'seeding', options.address);
    throw error;
  }
}

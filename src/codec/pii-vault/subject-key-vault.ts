// Where the PII vault's subject keys live: Vault KV v2, one secret per key at
// <mount>/data/tenants/<tenant>/subject-keys/<key id>, never in Postgres, so a database backup holds no key that
// opens an entry. The mount is not the secrets mount: no definition's `vault:` reference can ever name a key.
// Destroying a key deletes its metadata, which removes every version of it from Vault.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RuntimeConfig } from '../../config/runtime';
import { StewardError } from '../../errors';
import { createVaultSession, describeVaultFailure, statusOf, type VaultSession, type VaultSessionOptions } from '../../secrets/vault-session';
import { assertTenantId, type TenantId } from '../../tenancy/tenant-id';
import { loadCodecConfig } from '../config';
import { KEY_ID_PATTERN } from '../keys/key-store';
import { DATA_KEY_BYTES } from '../keys/transit';

/** One tenant's subject keys in Vault: nothing here can address another tenant's path. */
export interface SubjectKeyVault {
  readonly tenant: TenantId;
  /** Makes a new random key under `keyId` (check-and-set 0: an existing key is never overwritten) and returns it. */
  create(keyId: string): Promise<Buffer>;
  /** The key, or undefined when it was destroyed (or never made). */
  read(keyId: string): Promise<Buffer | undefined>;
  /** Removes the key and every version of it; a key already gone is not an error. */
  destroy(keyId: string): Promise<void>;
}

export interface SubjectKeyVaults {
  forTenant(tenant: TenantId): SubjectKeyVault;
  close(): void;
}

export interface SubjectKeyVaultOptions {
  vault: VaultSessionOptions;
  /** A KV v2 mount. */
  mount: string;
}

/** Vault requests in flight at once per process: a payload with thousands of new values must queue its key
 *  writes, not open thousands of connections that time out together. */
export const MAX_CONCURRENT_REQUESTS = 16;

/** Runs at most `limit` tasks at a time, in the order they were asked for. */
function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiter, so no newcomer slips in between.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

const KeyAnswer = z.object({ data: z.object({ data: z.object({ key: z.base64() }).nullable() }) });

export function createSubjectKeyVaults(options: SubjectKeyVaultOptions): SubjectKeyVaults {
  const session: VaultSession = createVaultSession(options.vault);
  const address = options.vault.address;
  const limited = createLimiter(MAX_CONCURRENT_REQUESTS);

  /** Vault answers 403 both to a lapsed token and to a policy refusal; only the second is the tenant's path denied. */
  const describe = async (error: unknown, operation: string, tenant: TenantId): Promise<StewardError> => {
    if (statusOf(error) === 403 && (await session.isTokenValid().catch(() => false))) {
      return new StewardError('SECRET_DENIED', `vault policy denies ${operation} of tenant ${tenant}'s PII subject keys`);
    }
    return describeVaultFailure(error, `PII subject key ${operation}`, address);
  };

  return {
    forTenant(tenant) {
      assertTenantId(tenant);
      const path = (kind: 'data' | 'metadata', keyId: string) => {
        // Key ids come from database rows: a malformed one must never widen the path it names.
        if (!KEY_ID_PATTERN.test(keyId)) throw new StewardError('INPUT_INVALID', `a PII subject key id of tenant ${tenant} is malformed`);
        return `${options.mount}/${kind}/tenants/${tenant}/subject-keys/${keyId}`;
      };
      const call = <T>(operation: string, work: (client: Awaited<ReturnType<VaultSession['authorizedClient']>>) => Promise<T>): Promise<T> =>
        limited(async () => {
          const client = await session.authorizedClient();
          try {
            return await work(client);
          } catch (error) {
            throw await describe(error, operation, tenant);
          }
        });
      return {
        tenant,
        async create(keyId) {
          const key = randomBytes(DATA_KEY_BYTES);
          const target = path('data', keyId);
          await call('creation', (client) => client.write(target, { options: { cas: 0 }, data: { key: key.toString('base64') } }));
          return key;
        },
        async read(keyId) {
          const target = path('data', keyId);
          const answer = await call('read', async (client) => {
            try {
              return await client.read(target);
            } catch (error) {
              if (statusOf(error) === 404) return undefined;
              throw error;
            }
          });
          if (answer === undefined) return undefined;
          const parsed = KeyAnswer.safeParse(answer);
          if (!parsed.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} sent a malformed PII subject key answer`);
          if (parsed.data.data.data === null) return undefined;
          const key = Buffer.from(parsed.data.data.data.key, 'base64');
          if (key.length !== DATA_KEY_BYTES) throw new StewardError('INPUT_INVALID', `a PII subject key of tenant ${tenant} has ${key.length} bytes, not ${DATA_KEY_BYTES}`);
          return key;
        },
        async destroy(keyId) {
          const target = path('metadata', keyId);
          await call('destruction', async (client) => {
            try {
              await client.delete(target);
            } catch (error) {
              if (statusOf(error) !== 404) throw error;
            }
          });
        },
      };
    },
    close() {
      session.close();
    },
  };
}

const perConfig = new WeakMap<object, SubjectKeyVaults>();

/** The process's subject key vaults for a configuration: one Vault session, however many tenants' vaults use it. */
export function subjectKeyVaultsFor(config: Pick<RuntimeConfig, 'secretsEnv'>): SubjectKeyVaults {
  let vaults = perConfig.get(config.secretsEnv);
  if (!vaults) {
    const codec = loadCodecConfig(config.secretsEnv);
    vaults = createSubjectKeyVaults({ vault: codec.vault, mount: codec.piiKeysMount });
    perConfig.set(config.secretsEnv, vaults);
  }
  return vaults;
}

// Vault Transit as the codec needs it: one key-encryption key per tenant, wrapped data keys made by it, and
// unwrapping. The data key's plaintext leaves Vault only on unwrap, and only into the process that asked.
import { z } from 'zod';
import { isStewardError, StewardError } from '../../errors';
import type { TenantId } from '../../tenancy/tenant-id';
import { createVaultSession, describeVaultFailure, statusOf, type VaultSession, type VaultSessionOptions } from '../../secrets/vault-session';

export interface TransitKeys {
  /** A new 256-bit data key, wrapped by the tenant's Transit key: Transit ciphertext (`vault:vN:…`). */
  createWrappedDataKey(tenant: TenantId): Promise<string>;
  /** The data key inside a wrapped one; only the tenant's own Transit key can unwrap it. */
  unwrapDataKey(tenant: TenantId, wrapped: string): Promise<Buffer>;
  /** Rotates the tenant's Transit key: later data keys are wrapped by its new version, older ones still unwrap. */
  rotateTenantKey(tenant: TenantId): Promise<void>;
  close(): void;
}

export interface TransitOptions {
  vault: VaultSessionOptions;
  mount: string;
  keyPrefix: string;
}

export const DATA_KEY_BYTES = 32;

const DataKeyAnswer = z.object({ data: z.object({ ciphertext: z.string().startsWith('vault:v') }) });
const DecryptAnswer = z.object({ data: z.object({ plaintext: z.base64() }) });

export function createTransitKeys(options: TransitOptions): TransitKeys {
  const session: VaultSession = createVaultSession(options.vault);
  const address = options.vault.address;
  const keyName = (tenant: TenantId) => `${options.keyPrefix}${tenant}`;
  // Transit key creation is idempotent in Vault; remembering it saves a round trip per data key.
  const ensured = new Set<TenantId>();

  /** Errors are rebuilt from the status alone (see vault-session): the HTTP library's carry the token. */
  const write = async (path: string, body: Record<string, unknown>, operation: string, onBadRequest?: () => StewardError): Promise<unknown> => {
    const client = await session.authorizedClient();
    try {
      return await client.write(`${options.mount}/${path}`, body);
    } catch (error) {
      if (statusOf(error) === 400 && onBadRequest) throw onBadRequest();
      throw describeVaultFailure(error, `transit ${operation}`, address);
    }
  };

  /** Whether the tenant's Transit key exists: a Vault that lost its storage (a dev server restarted) has none. */
  const tenantKeyExists = async (tenant: TenantId): Promise<boolean> => {
    const client = await session.authorizedClient();
    try {
      await client.read(`${options.mount}/keys/${keyName(tenant)}`);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw describeVaultFailure(error, 'transit key lookup', address);
    }
  };

  /** Transit answers 400 both when a wrapped key does not authenticate under the tenant's key and when it has no
   *  such key at all; a lookup tells the two apart. */
  const decrypt = async (tenant: TenantId, wrapped: string): Promise<unknown> => {
    const refused = () =>
      new StewardError(
        'INPUT_INVALID',
        `a data key of tenant ${tenant} does not unwrap under its Transit key: it was wrapped for another tenant, altered, or by a Transit key Vault has lost`,
      );
    try {
      return await write(`decrypt/${keyName(tenant)}`, { ciphertext: wrapped }, 'unwrap', refused);
    } catch (error) {
      if (!isStewardError(error, 'INPUT_INVALID') || (await tenantKeyExists(tenant))) throw error;
      throw new StewardError(
        'SECRET_BACKEND_UNAVAILABLE',
        `vault at ${address} has no Transit key ${keyName(tenant)}: what tenant ${tenant}'s data keys sealed cannot be decrypted (a Vault dev server loses its keys when it restarts)`,
        { cause: error },
      );
    }
  };

  const ensureTenantKey = async (tenant: TenantId, options: { recheck: boolean } = { recheck: false }): Promise<void> => {
    if (ensured.has(tenant) && !options.recheck) return;
    await write(`keys/${keyName(tenant)}`, { type: 'aes256-gcm96', exportable: false }, 'key creation');
    ensured.add(tenant);
  };

  return {
    async createWrappedDataKey(tenant) {
      await ensureTenantKey(tenant);
      const answer = DataKeyAnswer.safeParse(await write(`datakey/wrapped/${keyName(tenant)}`, { bits: DATA_KEY_BYTES * 8 }, 'data key'));
      if (!answer.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} sent a malformed Transit data key answer`);
      return answer.data.data.ciphertext;
    },
    async unwrapDataKey(tenant, wrapped) {
      const answer = DecryptAnswer.safeParse(await decrypt(tenant, wrapped));
      if (!answer.success) throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `vault at ${address} sent a malformed Transit decrypt answer`);
      const key = Buffer.from(answer.data.data.plaintext, 'base64');
      if (key.length !== DATA_KEY_BYTES) throw new StewardError('INPUT_INVALID', `an unwrapped data key has ${key.length} bytes, not ${DATA_KEY_BYTES}`);
      return key;
    },
    async rotateTenantKey(tenant) {
      // Rotation is also the way back after Vault lost the key: never trust the memory of having made it.
      await ensureTenantKey(tenant, { recheck: true });
      await write(`keys/${keyName(tenant)}/rotate`, {}, 'key rotation');
    },
    close() {
      session.close();
    },
  };
}

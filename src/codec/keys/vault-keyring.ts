// One tenant's keyring: AES-256-GCM data keys generated and wrapped by the tenant's Vault Transit key, stored
// wrapped in the tenant's partition of codec_keys, unwrapped by Transit on first use and then kept in memory.
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';
import type { Pool } from 'pg';
import { StewardError } from '../../errors';
import type { TenantId } from '../../tenancy/tenant-id';
import { findActiveKey, findKey, KEY_ID_PATTERN, listKeys, storeActiveKey, type StoredKey } from './key-store';
import type { ManagedTenantKeyring, SealedBytes } from './keyring';
import type { TransitKeys } from './transit';

export interface VaultKeyringOptions {
  tenant: TenantId;
  /** The application's pool: key rows are read and written under row-level security. */
  pool: Pool;
  transit: TransitKeys;
  /** How long the active key id is trusted before Postgres is asked again (a rotation elsewhere shows up then). */
  activeKeyTtlMs: number;
  now?: () => number;
}

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const IV_POOL_BYTES = IV_BYTES * 512;

/** Fresh random IVs, drawn from a pool refilled from the CSPRNG: one call per 512 IVs instead of one per seal.
 *  Every IV is copied out and its bytes are never handed out again. */
function createIvSource(): () => Buffer {
  const pool = Buffer.alloc(IV_POOL_BYTES);
  let offset = IV_POOL_BYTES;
  return () => {
    if (offset === IV_POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += IV_BYTES;
    return Buffer.from(pool.subarray(offset - IV_BYTES, offset));
  };
}

export function createVaultKeyring(options: VaultKeyringOptions): ManagedTenantKeyring {
  const { tenant, pool, transit } = options;
  const now = options.now ?? Date.now;
  const nextIv = createIvSource();
  const dataKeys = new Map<string, Promise<KeyObject>>();
  /** The same keys once unwrapped, so sealing and opening with a known key waits on nothing. */
  const readyKeys = new Map<string, KeyObject>();
  let active: { keyId: string; checkedAt: number } | undefined;
  let activeLookup: Promise<string> | undefined;

  const remember = (stored: StoredKey): Promise<KeyObject> => {
    const known = dataKeys.get(stored.keyId);
    if (known) return known;
    const unwrapped = transit.unwrapDataKey(tenant, stored.wrapped).then((bytes) => {
      const key = createSecretKey(bytes);
      bytes.fill(0);
      readyKeys.set(stored.keyId, key);
      return key;
    });
    dataKeys.set(stored.keyId, unwrapped);
    // A failed unwrap (Vault briefly away) is not cached: the next use tries again.
    unwrapped.catch(() => dataKeys.get(stored.keyId) === unwrapped && dataKeys.delete(stored.keyId));
    return unwrapped;
  };

  const activeKeyId = async (): Promise<string> => {
    if (active && now() - active.checkedAt < options.activeKeyTtlMs) return active.keyId;
    activeLookup ??= (async () => {
      const stored =
        (await findActiveKey(pool, tenant)) ??
        (await storeActiveKey(pool, tenant, () => transit.createWrappedDataKey(tenant), { onlyIfNone: true }));
      void remember(stored).catch(() => undefined);
      active = { keyId: stored.keyId, checkedAt: now() };
      return stored.keyId;
    })().finally(() => {
      activeLookup = undefined;
    });
    return activeLookup;
  };

  const dataKey = async (keyId: string): Promise<KeyObject> => {
    const cached = dataKeys.get(keyId);
    if (cached) return cached;
    // The key id comes from payload metadata, which anyone able to write history controls: never echo a bad one.
    if (!KEY_ID_PATTERN.test(keyId)) throw new StewardError('INPUT_INVALID', `sealed bytes for tenant ${tenant} name a malformed key id`);
    const stored = await findKey(pool, tenant, keyId);
    if (!stored) {
      throw new StewardError('NOT_FOUND', `key ${keyId} is not one of tenant ${tenant}'s codec keys: sealed for another tenant, or the key was deleted`);
    }
    return remember(stored);
  };

  // The tenant and key id are always bound, whatever the caller's aad: bytes sealed for one tenant never open
  // for another even if both keyrings held the same key. Neither a tenant id nor a key id can contain ':'.
  const additionalData = (keyId: string, aad: string) => Buffer.from(`steward:${tenant}:${keyId}:${aad}`, 'utf8');

  return {
    tenant,
    async seal(plaintext: Uint8Array, aad: string): Promise<SealedBytes> {
      const keyId = await activeKeyId();
      const key = readyKeys.get(keyId) ?? (await dataKey(keyId));
      const iv = nextIv();
      const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(keyId, aad));
      const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { keyId, sealed };
    },
    async open(sealed: SealedBytes, aad: string): Promise<Uint8Array> {
      const key = readyKeys.get(sealed.keyId) ?? (await dataKey(sealed.keyId));
      const bytes = sealed.sealed;
      if (bytes.length < IV_BYTES + TAG_BYTES) {
        throw new StewardError('INPUT_INVALID', `sealed bytes under key ${sealed.keyId} of tenant ${tenant} are truncated`);
      }
      const decipher = createDecipheriv(CIPHER, key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(sealed.keyId, aad));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      } catch (error) {
        throw new StewardError(
          'INPUT_INVALID',
          `sealed bytes under key ${sealed.keyId} of tenant ${tenant} do not authenticate: tampered, or sealed for another tenant or purpose`,
          { cause: error },
        );
      }
    },
    async rotate() {
      await transit.rotateTenantKey(tenant);
      const stored = await storeActiveKey(pool, tenant, () => transit.createWrappedDataKey(tenant), { onlyIfNone: false });
      void remember(stored).catch(() => undefined);
      active = { keyId: stored.keyId, checkedAt: now() };
      return { keyId: stored.keyId, createdAt: stored.createdAt, active: true };
    },
    listKeys() {
      return listKeys(pool, tenant);
    },
  };
}

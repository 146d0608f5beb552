// Every tenant's keyring in one process, made on first use from the validated configuration and then cached,
// sharing one Vault session. Whoever holds the factory can reach any tenant's keys: it stays in entry points
// (worker, client, CLI), which hand each Worker or Client the keyring of its own tenant only.
import type { Pool } from 'pg';
import type { RuntimeConfig } from '../../config/runtime';
import type { TenantId } from '../../tenancy/tenant-id';
import { loadCodecConfig } from '../config';
import type { ManagedTenantKeyring } from './keyring';
import { createTransitKeys } from './transit';
import { createVaultKeyring } from './vault-keyring';

export interface KeyringFactory {
  keyringFor(tenant: TenantId): ManagedTenantKeyring;
  /** The configured compression threshold, for data converters built with these keyrings. */
  readonly compressAboveBytes: number;
  /** Stops the Vault session's token renewal. */
  close(): void;
}

/** `pool` must be the application's pool (row-level security), not the operator's. */
export function createKeyringFactory(config: Pick<RuntimeConfig, 'secretsEnv'>, pool: Pool): KeyringFactory {
  const codec = loadCodecConfig(config.secretsEnv);
  const transit = createTransitKeys({ vault: codec.vault, mount: codec.transitMount, keyPrefix: codec.transitKeyPrefix });
  const keyrings = new Map<TenantId, ManagedTenantKeyring>();
  return {
    keyringFor(tenant) {
      let keyring = keyrings.get(tenant);
      if (!keyring) {
        keyring = createVaultKeyring({ tenant, pool, transit, activeKeyTtlMs: codec.activeKeyTtlMs });
        keyrings.set(tenant, keyring);
      }
      return keyring;
    },
    compressAboveBytes: codec.compressAboveBytes,
    close() {
      transit.close();
    },
  };
}

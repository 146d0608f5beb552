// Builds a tenant's PII vault from the runtime configuration: its keyring, its subject keys in Vault, its HMAC key,
// its data policies' retention. Entry points (worker, client, codec server, CLI) call this; nothing else needs the
// master key.
import type { Pool } from 'pg';
import type { RuntimeConfig } from '../../config/runtime';
import type { TenantKeyring } from '../keys/keyring';
import { loadTenantPiiHmacKey } from '../keys/pii-master-key';
import { createPolicyRetention } from './pii-retention';
import { createPiiVault, type PiiVault } from './pii-vault';
import { subjectKeyVaultsFor } from './subject-key-vault';

/** `pool` is the application's pool (row-level security). `cacheTtlMs: 0` for processes that must see erasures at once. */
export function createTenantPiiVault(config: Pick<RuntimeConfig, 'env' | 'secretsEnv'>, pool: Pool, keyring: TenantKeyring, options: { cacheTtlMs?: number } = {}): PiiVault {
  return createPiiVault({
    pool,
    keyring,
    subjectKeyVault: subjectKeyVaultsFor(config).forTenant(keyring.tenant),
    hmacKey: loadTenantPiiHmacKey(config, keyring.tenant),
    retentionDays: createPolicyRetention(pool, keyring.tenant),
    ...options,
  });
}

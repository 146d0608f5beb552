// The PII codecs of one process (a worker serving many tenants, a client): each tenant's codec gets that tenant's
// vault, built from the keyring it is handed, so a codec can only ever tokenize into its own tenant's vault, and
// that tenant's data policies (pii_fields, custom detectors, phone regions).
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import type { RuntimeConfig } from '../config/runtime';
import type { TenantKeyring } from './keys/keyring';
import { createPiiCodec, type PiiView } from './pii-codec';
import { createTenantCodecPolicy } from './pii-codec-policy';
import { loadPiiMasterKey } from './keys/pii-master-key';
import { createTenantPiiVault } from './pii-vault/create-tenant-pii-vault';

export interface PiiCodecOptions {
  /** `restore` (the default): workflows and activities see real values; `mask` and `token` are for viewers. */
  view?: PiiView;
  /** How long restored values may be cached (the vault's default when omitted); 0 when an erasure must show at once. */
  cacheTtlMs?: number;
  /** The most distinct values one encode call may tokenize. */
  maxDistinctValues?: number;
}

export interface PiiCodecFactory {
  /** The keyring's tenant's codec for its namespace. */
  codecFor(keyring: TenantKeyring, namespace: string, options?: PiiCodecOptions): PayloadCodec;
}

/** Checks at once that the vault can be keyed, so a process without a PII master key fails at start-up. */
export function createPiiCodecFactory(config: Pick<RuntimeConfig, 'env' | 'secretsEnv'>, pool: Pool): PiiCodecFactory {
  loadPiiMasterKey(config);
  return {
    codecFor: (keyring, namespace, options = {}) =>
      createPiiCodec({
        vault: createTenantPiiVault(config, pool, keyring, options.cacheTtlMs === undefined ? {} : { cacheTtlMs: options.cacheTtlMs }),
        namespace,
        policy: createTenantCodecPolicy(pool, keyring.tenant),
        ...(options.view ? { view: options.view } : {}),
        ...(options.maxDistinctValues === undefined ? {} : { maxDistinctValues: options.maxDistinctValues }),
      }),
  };
}

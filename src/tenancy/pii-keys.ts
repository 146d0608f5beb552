// Per-tenant keys for keyed PII hashing, derived from one master key (HKDF-SHA-256, the tenant id as info):
// the same value hashes the same within a tenant and differently across tenants, and no bare hash is ever kept.
import { hkdfSync } from 'node:crypto';
import { StewardError } from '../errors';
import type { TenantId } from './tenant-id';

const MIN_MASTER_KEY_BYTES = 32;

/** Reads a master key given as `hex:…`, `base64:…` or raw hex; refuses anything shorter than 32 bytes. */
export function parseMasterKey(text: string, variable = 'STEWARD_PII_MASTER_KEY'): Uint8Array {
  const key = text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text.replace(/^hex:/, ''), 'hex');
  if (key.length < MIN_MASTER_KEY_BYTES) {
    throw new StewardError('CONFIG_INVALID', `${variable}: a key of at least ${MIN_MASTER_KEY_BYTES} bytes (hex: or base64:)`);
  }
  return key;
}

export function derivePiiHmacKey(masterKey: Uint8Array, tenant: TenantId): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, 'steward-pii-hmac', tenant, 32));
}

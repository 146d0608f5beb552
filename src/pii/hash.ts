// Keyed hashing: HMAC-SHA-256 under the tenant's key, so equal values join across records within a tenant
// but cannot be found by hashing every possible SSN (a bare hash could be).
import { createHmac } from 'node:crypto';
import type { PiiType } from './types';
import { formatHashMarker } from './markers';

const MIN_KEY_BYTES = 16;

/** Different spellings of one value (`4111 1111…` and `4111-1111…`) hash alike. */
function normalize(type: PiiType, value: string): string {
  switch (type) {
    case 'ssn':
    case 'credit_card':
      return value.replace(/\D/g, '');
    case 'phone':
      return value.replace(/[^\d+]/g, '');
    case 'iban':
      return value.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
    case 'email':
    case 'ip_address':
      return value.toLowerCase();
    default:
      return value;
  }
}

export function assertHmacKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length < MIN_KEY_BYTES) {
    throw new TypeError(`hmacKey must be a Uint8Array of at least ${MIN_KEY_BYTES} bytes`);
  }
}

/** `[type:hmac:<first 16 hex digits>]` — 64 bits, enough to join on, and tagged so it is never read as the value. */
export function hashValue(type: PiiType, value: string, key: Uint8Array): string {
  const digest = createHmac('sha256', key).update(`${type}\u0000${normalize(type, value)}`).digest('hex');
  return formatHashMarker(type, digest.slice(0, 16));
}

// Keyed hashing: HMAC-SHA-256 under the tenant's key, so equal values join across records within a tenant
// but cannot be found by hashing every possible SSN (a bare hash could be).
import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { PiiType } from './types';
import { formatHashMarker } from './markers';
import { DEFAULT_PHONE_REGIONS, matchNational } from './detectors/phone-regions';

const MIN_KEY_BYTES = 16;
/** The region of national numbers in NANP form, as the phone detector reads them by default. */
const DEFAULT_PHONE_COUNTRY: CountryCode = 'US';
const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

function parsePhone(value: string): ReturnType<typeof parsePhoneNumberFromString> {
  try {
    return parsePhoneNumberFromString(value, DEFAULT_PHONE_COUNTRY);
  } catch {
    return undefined;
  }
}

/**
 * A phone in E.164 (`+14155552671`, with `;ext=` when it has one): `+1 415-555-2671`, `(415) 555-2671` and
 * `001 415 555 2671` are one number. A number without a country code is read as the detector reads it: NANP for
 * the default country, else a national number of the first default region where it is valid (`020 7946 0958`).
 */
function normalizePhone(value: string): string {
  const written = value.trim().replace(/^00/, '+');
  const parsed = parsePhone(written);
  if (parsed !== undefined && (written.startsWith('+') || parsed.isValid())) return parsed.ext ? `${parsed.number};ext=${parsed.ext}` : parsed.number;
  return matchNational(value.replace(/\D/g, ''), DEFAULT_PHONE_REGIONS)?.e164 ?? compactPhone(value);
}

function compactPhone(value: string): string {
  return value.replace(/[^\d+]/g, '');
}

/**
 * An IP address in canonical form: IPv6 as RFC 5952 writes it (the URL parser's form: lower case, no leading
 * zeros, the longest zero run as `::`), and an IPv4-mapped IPv6 address as the IPv4 address it is.
 */
function normalizeIp(value: string): string {
  const lower = value.trim().toLowerCase();
  if (!lower.includes(':')) return lower;
  let canonical: string;
  try {
    canonical = new URL(`http://[${lower}]/`).hostname.slice(1, -1);
  } catch {
    return lower; // not an address the URL parser takes (a zone id): kept as written
  }
  const mapped = IPV4_MAPPED.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Different spellings of one value (`4111 1111…` and `4111-1111…`, `+1 415…` and `(415)…`) normalize alike. */
function normalize(type: PiiType, value: string): string {
  switch (type) {
    case 'ssn':
    case 'credit_card':
      return value.replace(/\D/g, '');
    case 'phone':
      return normalizePhone(value);
    case 'iban':
      return value.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
    case 'email':
      return value.toLowerCase();
    case 'ip_address':
      return normalizeIp(value);
    default:
      return value;
  }
}

/** How phones and IP addresses were normalized before E.164 and canonical addresses: kept so erasure still finds
 *  vault entries written then. */
function normalizeAsBefore(type: PiiType, value: string): string | undefined {
  if (type === 'phone') return compactPhone(value);
  if (type === 'ip_address') return value.toLowerCase();
  return undefined;
}

export function assertHmacKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length < MIN_KEY_BYTES) {
    throw new TypeError(`hmacKey must be a Uint8Array of at least ${MIN_KEY_BYTES} bytes`);
  }
}

function markerOf(type: PiiType, normalized: string, key: Uint8Array): string {
  const digest = createHmac('sha256', key).update(`${type}\u0000${normalized}`).digest('hex');
  return formatHashMarker(type, digest.slice(0, 16));
}

/** `[type:hmac:<first 16 hex digits>]` — 64 bits, enough to join on, and tagged so it is never read as the value. */
export function hashValue(type: PiiType, value: string, key: Uint8Array): string {
  return markerOf(type, normalize(type, value), key);
}

/** Every hash an entry of `value` may carry: today's, and the one from before phones and addresses were canonical. */
export function hashValueAnyVersion(type: PiiType, value: string, key: Uint8Array): string[] {
  const before = normalizeAsBefore(type, value);
  const now = normalize(type, value);
  return before === undefined || before === now ? [markerOf(type, now, key)] : [markerOf(type, now, key), markerOf(type, before, key)];
}

// The per-tenant egress policy on the address a tool call actually connects to: public addresses are reachable,
// special ranges (loopback, private, link-local, shared, multicast, reserved, unspecified) only where the tenant's
// `egress.allow` names them, and Steward's own services and cloud metadata never.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { METADATA_ADDRESSES, parseIpv6 } from './url-literal';

/** One `egress.allow` entry: an address or network, optionally one port (`127.0.0.1:4030`, `10.0.0.0/8`, `[::1]:8080`). */
export interface EgressAllowEntry {
  text: string;
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  port?: number;
}

/** A service of the deployment itself (Temporal, its UI, Vault, Postgres, the codec server…): no tenant may call it. */
export interface ProtectedEndpoint {
  address: string;
  port: number;
}

export interface EgressPolicy {
  allow: EgressAllowEntry[];
  protectedEndpoints: ProtectedEndpoint[];
  /** The machine's own addresses: a service listening on every interface is reachable through them too. */
  localAddresses?: string[];
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

const IPV4_ENTRY = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?::(\d{1,5}))?$/;
const IPV6_ENTRY = /^\[([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?\](?::(\d{1,5}))?$/;

/** Parses one `egress.allow` entry; the message names what is wrong with it. */
export function parseAllowEntry(text: string): { ok: true; entry: EgressAllowEntry } | { ok: false; message: string } {
  const v4 = IPV4_ENTRY.exec(text);
  const v6 = v4 ? null : IPV6_ENTRY.exec(text);
  const match = v4 ?? v6;
  const family = v4 ? 'ipv4' : 'ipv6';
  if (!match || isIP(match[1]!) === 0) {
    return { ok: false, message: `'${text}' is not an address or network: write 127.0.0.1:4030, 10.0.0.0/8 or [::1/128]:8080` };
  }
  const prefix = match[2] === undefined ? (family === 'ipv4' ? 32 : 128) : Number(match[2]);
  if (prefix > (family === 'ipv4' ? 32 : 128)) return { ok: false, message: `'${text}': prefix /${prefix} is too long` };
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65_535)) return { ok: false, message: `'${text}': port ${port} is out of range` };
  return { ok: true, entry: { text, network: match[1]!, prefix, family, ...(port === undefined ? {} : { port }) } };
}

/** The `egress` key of a tenant's settings. */
export const EgressSettings = z.object({
  allow: z
    .array(z.string().max(64))
    .max(256)
    .default([])
    .superRefine((entries, context) => {
      entries.forEach((text, index) => {
        const parsed = parseAllowEntry(text);
        if (!parsed.ok) context.addIssue({ code: 'custom', path: [index], message: parsed.message });
      });
    }),
});

export function parseAllowList(entries: readonly string[]): EgressAllowEntry[] {
  return entries.flatMap((text) => {
    const parsed = parseAllowEntry(text);
    return parsed.ok ? [parsed.entry] : [];
  });
}

const SPECIAL_RANGES: Array<{ label: string; family: 'ipv4' | 'ipv6'; network: string; prefix: number }> = [
  { label: 'unspecified', family: 'ipv4', network: '0.0.0.0', prefix: 8 },
  { label: 'private', family: 'ipv4', network: '10.0.0.0', prefix: 8 },
  { label: 'shared (carrier-grade NAT)', family: 'ipv4', network: '100.64.0.0', prefix: 10 },
  { label: 'loopback', family: 'ipv4', network: '127.0.0.0', prefix: 8 },
  { label: 'link-local', family: 'ipv4', network: '169.254.0.0', prefix: 16 },
  { label: 'private', family: 'ipv4', network: '172.16.0.0', prefix: 12 },
  { label: 'reserved', family: 'ipv4', network: '192.0.0.0', prefix: 24 },
  { label: 'private', family: 'ipv4', network: '192.168.0.0', prefix: 16 },
  { label: 'benchmarking', family: 'ipv4', network: '198.18.0.0', prefix: 15 },
  { label: 'multicast', family: 'ipv4', network: '224.0.0.0', prefix: 4 },
  { label: 'reserved', family: 'ipv4', network: '240.0.0.0', prefix: 4 },
  { label: 'unspecified', family: 'ipv6', network: '::', prefix: 128 },
  { label: 'loopback', family: 'ipv6', network: '::1', prefix: 128 },
  { label: 'private', family: 'ipv6', network: 'fc00::', prefix: 7 },
  { label: 'link-local', family: 'ipv6', network: 'fe80::', prefix: 10 },
  { label: 'site-local', family: 'ipv6', network: 'fec0::', prefix: 10 },
  { label: 'multicast', family: 'ipv6', network: 'ff00::', prefix: 8 },
];

/**
 * The address as it is reached: an IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64
 * `64:ff9b::/96`, IPv4-compatible `::a.b.c.d`) is judged as that IPv4 address.
 */
export function normalizeAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const version = isIP(address);
  if (version === 4) return { address, family: 'ipv4' };
  if (version !== 6) return undefined;
  const groups = parseIpv6(address.toLowerCase());
  if (!groups) return undefined;
  const embedsIpv4 =
    (groups.slice(0, 5).every((group) => group === 0) && (groups[5] === 0xffff || (groups[5] === 0 && groups[6] !== 0))) ||
    (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0));
  if (embedsIpv4) return { address: `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`, family: 'ipv4' };
  return { address, family: 'ipv6' };
}

function rangeOf(address: string, family: 'ipv4' | 'ipv6'): string | undefined {
  for (const range of SPECIAL_RANGES) {
    if (range.family !== family) continue;
    const list = new BlockList();
    list.addSubnet(range.network, range.prefix, range.family);
    if (list.check(address, family)) return range.label;
  }
  return undefined;
}

function entryCovers(entry: EgressAllowEntry, address: string, family: 'ipv4' | 'ipv6', port: number): boolean {
  if (entry.family !== family || (entry.port !== undefined && entry.port !== port)) return false;
  const list = new BlockList();
  list.addSubnet(entry.network, entry.prefix, entry.family);
  return list.check(address, family);
}

function isProtected(policy: EgressPolicy, address: string, family: 'ipv4' | 'ipv6', port: number): boolean {
  const range = rangeOf(address, family);
  const local = range === 'loopback' || range === 'unspecified' || (policy.localAddresses ?? []).includes(address);
  return policy.protectedEndpoints.some((endpoint) => {
    if (endpoint.port !== port) return false;
    const target = normalizeAddress(endpoint.address);
    if (!target) return false;
    if (target.address === address) return true;
    // A service on this machine answers on every local address (and 0.0.0.0), not only the one configured.
    const targetRange = rangeOf(target.address, target.family);
    return local && (targetRange === 'loopback' || targetRange === 'unspecified' || (policy.localAddresses ?? []).includes(target.address));
  });
}

/** Whether a tool call may connect to `address:port`, and why not. */
export function checkAddress(policy: EgressPolicy, rawAddress: string, port: number): AddressVerdict {
  const normalized = normalizeAddress(rawAddress);
  if (!normalized) return { allowed: false, reason: `'${rawAddress}' is not an IP address` };
  const { address, family } = normalized;
  if ((METADATA_ADDRESSES as readonly string[]).includes(address) || (family === 'ipv6' && parseIpv6(address)?.join(':') === parseIpv6('fd00:ec2::254')?.join(':'))) {
    return { allowed: false, reason: `${address} is a cloud metadata address` };
  }
  if (isProtected(policy, address, family, port)) return { allowed: false, reason: `${address}:${port} is a service of the Steward deployment itself` };
  const range = rangeOf(address, family);
  if (range === undefined) return { allowed: true };
  if (policy.allow.some((entry) => entryCovers(entry, address, family, port))) return { allowed: true };
  return { allowed: false, reason: `${family === 'ipv6' ? `[${address}]` : address}:${port} is a ${range} address not in the tenant's egress.allow` };
}

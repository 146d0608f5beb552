// What a tool URL's text alone gives away, before any name is resolved: its scheme, and a host written as an IP
// address in a spelling meant to slip past a filter (decimal, hex, octal, IPv4-mapped IPv6) or naming an address
// no tenant may reach (unspecified, cloud metadata). Pure, so definition validation can use it. Workflow-safe.

/** Schemes a tool may call; everything else (file, gopher, ftp, data…) is refused. */
export const EGRESS_SCHEMES = ['http', 'https'] as const;

/** Cloud metadata endpoints: refused whatever a tenant allows. */
export const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'] as const;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// The WHATWG URL parser reads a host as IPv4 when its last label is a number (decimal, 0x-hex or octal).
const NUMERIC_LAST_LABEL = /(^|\.)(0x[0-9a-f]*|\d+)\.?$/i;

/**
 * Why a tool URL is refused on its face, or undefined when only the resolved address can tell. A URL that starts
 * with a template (`{{ … }}`) is judged at run time, after rendering.
 */
export function findUrlLiteralProblem(url: string): string | undefined {
  if (url.trimStart().startsWith('{{')) return undefined;
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'must be an absolute http:// or https:// URL';
  if (!(EGRESS_SCHEMES as readonly string[]).includes(scheme)) return `scheme '${scheme}' is not allowed: tools call http:// or https:// only`;
  const host = hostOf(url);
  if (host === undefined || host.includes('{{')) return undefined;
  return findHostLiteralProblem(host);
}

/** The host part of an absolute URL (brackets kept for IPv6), or undefined when there is none. */
function hostOf(url: string): string | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url)?.[1];
  if (authority === undefined) return undefined;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1) || hostPort;
  return hostPort.replace(/:\d*$/, '');
}

export function findHostLiteralProblem(host: string): string | undefined {
  const lowered = host.toLowerCase();
  if (lowered.startsWith('[')) {
    const groups = parseIpv6(lowered.slice(1, -1));
    if (!groups) return undefined;
    if (groups.every((group) => group === 0)) return 'the unspecified address [::] is not allowed';
    if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
      return 'IPv4-mapped IPv6 addresses are not allowed: write the IPv4 address itself';
    }
    if (formatIpv6(groups) === 'fd00:ec2:0:0:0:0:0:254') return 'cloud metadata addresses are never allowed';
    return undefined;
  }
  if (!NUMERIC_LAST_LABEL.test(lowered)) return undefined;
  const name = lowered.replace(/\.$/, '');
  if (!DOTTED_QUAD.test(name)) return `host '${host}' spells an IP address unusually: write it as four decimal octets (e.g. 10.0.0.1)`;
  if (name.startsWith('0.')) return 'the unspecified address 0.0.0.0 (and 0.0.0.0/8) is not allowed';
  if ((METADATA_ADDRESSES as readonly string[]).includes(name)) return 'cloud metadata addresses are never allowed';
  return undefined;
}

/** Eight 16-bit groups, or undefined when the text is not an IPv6 address. */
export function parseIpv6(text: string): number[] | undefined {
  const zoneless = text.split('%')[0] ?? '';
  let tail: number[] = [];
  let body = zoneless;
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (embedded) {
    const octets = embedded[1]!.split('.').map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    tail = [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
    body = body.slice(0, -embedded[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const known = head.length + rest.length + tail.length;
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  if (halves.length === 1 && known !== 8) return undefined;
  if (halves.length === 2 && known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

function formatIpv6(groups: number[]): string {
  return groups.map((group) => group.toString(16)).join(':');
}

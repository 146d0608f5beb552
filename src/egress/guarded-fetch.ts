// Tool HTTP calls under the egress policy. The check runs where the connection is made: on the address the name
// resolves to at connect time (so a name that re-binds to an internal address between a check and the connect
// gains nothing) and again on every redirect hop, which is followed here rather than by the HTTP client.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { StewardError } from '../errors';
import { checkAddress, type EgressPolicy } from './address-policy';
import { EGRESS_SCHEMES } from './url-literal';

export const MAX_REDIRECTS = 5;

export interface GuardedRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** For https: a client certificate and key to present, and the CAs the server's certificate must chain to. */
  tls?: { cert: string; key: string; ca: string } | undefined;
}

/** A refused connection: where (host and port only, never a path) and why. */
export interface EgressRefusal {
  host: string;
  port: number;
  address?: string;
  reason: string;
  /** 0 for the URL as given, n for the n-th redirect. */
  hop: number;
}

export interface EgressGuardOptions {
  policy: () => Promise<EgressPolicy>;
  /** Called before a refusal is thrown: the place to audit it. */
  onRefused?: (refusal: EgressRefusal) => Promise<void>;
}

export class EgressDeniedError extends StewardError {
  constructor(readonly refusal: EgressRefusal) {
    super('EGRESS_DENIED', `${refusal.host}:${refusal.port} refused by the egress policy: ${refusal.reason}`);
  }
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** Sends one request, following up to MAX_REDIRECTS redirects, each hop checked by the policy. */
export async function fetchUnderEgressPolicy(url: string, init: GuardedRequest, options: EgressGuardOptions): Promise<Response> {
  const policy = await options.policy();
  let target = new URL(url);
  let request = { ...init, headers: { ...init.headers } };
  for (let hop = 0; ; hop++) {
    const response = await sendOnce(target, request, policy, hop, options);
    const location = response.headers.location;
    if (response.statusCode === undefined || ![301, 302, 303, 307, 308].includes(response.statusCode) || location === undefined) {
      return toResponse(response);
    }
    response.resume();
    if (hop >= MAX_REDIRECTS) throw new StewardError('LIMIT_EXCEEDED', `${target.host}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, target);
    // As fetch does: credentials (a client certificate too) stay with the origin they were meant for, and 303 (or a POST's 301/302) becomes a GET.
    if (next.origin !== target.origin) {
      request = { ...request, tls: undefined, headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()))) };
    }
    if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && request.method === 'POST')) {
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
      request = { ...request, method: request.method === 'HEAD' ? 'HEAD' : 'GET', headers, body: undefined };
    }
    target = next;
  }
}

async function refuse(options: EgressGuardOptions, refusal: EgressRefusal): Promise<never> {
  await options.onRefused?.(refusal);
  throw new EgressDeniedError(refusal);
}

async function sendOnce(url: URL, init: GuardedRequest, policy: EgressPolicy, hop: number, options: EgressGuardOptions): Promise<IncomingMessage> {
  const scheme = url.protocol.replace(/:$/, '');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const host = url.hostname;
  if (!(EGRESS_SCHEMES as readonly string[]).includes(scheme)) {
    return refuse(options, { host, port, hop, reason: `scheme '${scheme}' is not allowed: tools call http:// or https:// only` });
  }
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(literal) !== 0) {
    const verdict = checkAddress(policy, literal, port);
    if (!verdict.allowed) return refuse(options, { host, port, address: literal, hop, reason: verdict.reason });
  }
  let refusal: EgressRefusal | undefined;
  // Runs inside the socket's connect for host names: the address checked is the address connected to.
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const candidate of addresses) {
        const verdict = checkAddress(policy, candidate.address, port);
        if (!verdict.allowed) {
          refusal = { host, port, address: candidate.address, hop, reason: verdict.reason };
          return callback(new EgressDeniedError(refusal), '', 0);
        }
      }
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
  const send = scheme === 'https' ? httpsRequest : httpRequest;
  try {
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const tls = scheme === 'https' && init.tls ? { cert: init.tls.cert, key: init.tls.key, ca: init.tls.ca } : {};
      const outgoing = send(url, { method: init.method, headers: init.headers, lookup, agent: false, signal: init.signal, ...tls }, resolve);
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
  } catch (error) {
    if (refusal) return refuse(options, refusal);
    throw error;
  }
}

/** The answer as a fetch Response whose body streams from the socket, so a reader's own size limit applies. */
function toResponse(message: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const status = message.statusCode ?? 502;
  if ([101, 204, 205, 304].includes(status)) {
    message.resume();
    return new Response(null, { status: status === 101 ? 502 : status, headers });
  }
  return new Response(Readable.toWeb(message) as ReadableStream<Uint8Array>, { status: status < 200 ? 502 : status, headers });
}

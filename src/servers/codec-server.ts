// The codec server: Temporal's remote codec protocol for the Web UI and the Temporal CLI.
// POST …/encode, POST …/decode (only the last path segment counts), body {payloads:[{metadata, data}]} with base64
// bytes, the namespace in X-Namespace (or the segment before the last, for the CLI's {namespace} template); the
// routes live under STEWARD_CODEC_SERVER_PATH_PREFIX when one is set.
// 401 no or bad token · 403 a token of another tenant than the namespace's (unknown namespaces included), an
// origin that is not the UI's, or an encode without `pii:write` · 400 a bad body or payloads that do not decode ·
// 413 payloads beyond the size limits or, to encode, holding more distinct PII values than one request may · 200. A refusal says what was wrong in fixed words; its detail goes to the server's log.
// Encoding writes every distinct PII value into the tenant's vault, so it takes a scope of its own and a cap per
// request, checked before anything is written. Decoded views show PII masked unless the token carries `pii:read`; every call, refused ones included once the
// caller is known, is recorded in the tenant's audit trail (who, the namespace, how many payloads, the outcome —
// never the data). In development mode a request without a token, from loopback to a loopback Host, is served a
// masked view.
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAuditEvent } from '../audit/audit-log';
import { loadCodecConfig, MAX_REQUEST_PAYLOAD_BYTES } from '../codec/config';
import type { PiiView } from '../codec/pii-codec';
import { PII_READ_SCOPE, piiViewOf } from '../codec/pii-view';
import { loadPiiMasterKey } from '../codec/keys/pii-master-key';
import type { RuntimeConfig } from '../config/runtime';
import { TokenInvalidError, verifyUserToken } from '../identity';
import { createLogger, type Logger } from '../log/logger';
import { StewardRuntime } from '../runtime/steward-runtime';
import { TenantId } from '../tenancy/tenant-id';
import { findTenant } from '../tenancy/tenant-registry';
import { createDecodeLimiter, DecodeSlotRefused, type DecodeLimits } from './decode-limiter';
import { NAMESPACE_NOT_PERMITTED, Refusal, refusalOfCodecError, refusalOfRequestError, type CodecOperation } from './codec-server-refusals';
import { formatZodIssues } from '../common/zod-issues';

export interface CodecServerOptions {
  config: RuntimeConfig;
  /** Browser origins allowed to call (the Temporal Web UI's); every other origin is refused. */
  corsOrigins: readonly string[];
  /** Development mode: a request without a token, from loopback, sees a masked view. Never for a shared host. */
  devNoAuth?: boolean;
  /** Where refusals and failures are logged with their detail (never payloads or tokens); default: JSON on stderr. */
  logger?: Logger;
  /** How many decodes run at once, in all and per caller, and how long one waits its turn (defaults: decode-limiter). */
  decodeLimits?: DecodeLimits;
}

export { PII_READ_SCOPE };
/** The scope that lets a caller encode payloads, and so write their PII values into the tenant's vault. */
export const PII_WRITE_SCOPE = 'pii:write';
/** The most distinct PII values one /encode request may hold: far more than a signal or input typed in the UI. */
export const MAX_ENCODE_DISTINCT_VALUES = 1_000;
/** Who the audit trail names for a development-mode request without a token. */
export const DEV_ANONYMOUS_USER = 'anonymous (codec-server development mode)';

const MAX_PAYLOADS = 10_000;
/** Room for a request's payloads at their cap in base64 (4 characters per 3 bytes), plus JSON and metadata. */
const BODY_LIMIT = Math.ceil(MAX_REQUEST_PAYLOAD_BYTES / 3) * 4 + 4 * 1024 * 1024;
/** A body with many bad payloads is refused naming the first few, not all of them. */
const MAX_ISSUES_NAMED = 3;
const NOT_SERVED = 'only …/encode and …/decode are served';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const Base64 = z.string().regex(BASE64, 'base64 bytes');
const JsonPayload = z.object({ metadata: z.record(z.string(), Base64).nullish(), data: Base64.nullish() });
const Body = z.object({ payloads: z.array(JsonPayload).max(MAX_PAYLOADS) });
type JsonPayload = z.infer<typeof JsonPayload>;

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/i;

interface Caller {
  user: string;
  /** The token's tenant; none for a development-mode request without a token. */
  tenant?: TenantId;
  view: PiiView;
  /** Whether the caller may encode (the token carries `pii:write`). */
  mayEncode: boolean;
  auth: 'token' | 'none (development mode)';
}

/** What the handler had learnt about a request when it answered: for the log and the audit trail. */
interface RequestFacts {
  operation: CodecOperation;
  namespace: string;
  /** The tenant that owns the namespace, if any does. */
  owner?: TenantId;
  caller?: Caller;
  payloads?: number;
}

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))])),
  data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')),
});

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

/** What the log says about a request: who and where, never the token or the payloads. */
function loggable(facts: RequestFacts | undefined) {
  if (!facts) return {};
  const { caller, ...known } = facts;
  return { ...known, user: caller?.user, tokenTenant: caller?.tenant };
}

const bytesOf = (payload: Payload) =>
  (payload.data?.length ?? 0) + Object.entries(payload.metadata ?? {}).reduce((sum, [key, value]) => sum + key.length + value.length, 0);

/** The body's payloads; refused naming the field at fault, or when together they carry more than a request may. */
function readPayloads(body: unknown): Payload[] {
  const parsed = Body.safeParse(body);
  if (!parsed.success) {
    throw new Refusal(400, formatZodIssues(parsed.error, { root: 'body', max: MAX_ISSUES_NAMED }));
  }
  let carried = 0;
  return parsed.data.payloads.map((json) => {
    const payload = fromJson(json);
    carried += bytesOf(payload);
    if (carried > MAX_REQUEST_PAYLOAD_BYTES) throw new Refusal(413, `payloads exceed the limit of ${MAX_REQUEST_PAYLOAD_BYTES} bytes per request`);
    return payload;
  });
}

export function createCodecServer(options: CodecServerOptions): FastifyInstance {
  const { config } = options;
  loadPiiMasterKey(config); // fail at start-up, not at the first request, when the vault cannot be keyed
  const { serverPathPrefix } = loadCodecConfig(config.secretsEnv);
  const logger = options.logger ?? createLogger('steward-codec-server', config.env.STEWARD_LOG_LEVEL);
  const runtime = StewardRuntime.create(config, { poolSize: 4 });
  const pool = runtime.pool;
  const codecs = new Map<string, PayloadCodec[]>();
  const decodeSlots = createDecodeLimiter(options.decodeLimits);
  const codecsFor = (tenant: TenantId, namespace: string, view: PiiView): PayloadCodec[] => {
    const key = `${tenant} ${view}`;
    let chain = codecs.get(key);
    if (!chain) {
      chain = runtime.tenantOf({ id: tenant, namespace }).payloadCodecs({
        view,
        // No cache of restored values: an erasure must show in the very next decode.
        piiCacheTtlMs: 0,
        maxDistinctPiiValues: MAX_ENCODE_DISTINCT_VALUES,
        maxDecodedBytesPerCall: MAX_REQUEST_PAYLOAD_BYTES,
      });
      codecs.set(key, chain);
    }
    return chain;
  };

  /** Answers a refusal in its fixed words and logs it with what is known, the error behind it included. */
  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal, facts?: RequestFacts) => {
    const line = { method: request.method, url: request.url, status: refusal.status, reason: refusal.reason, ...loggable(facts), err: refusal.cause };
    if (refusal.status >= 500) logger.error(line, 'codec request failed');
    else logger.warn(line, 'codec request refused');
    if (refusal.retryAfterSeconds !== undefined) void reply.header('retry-after', String(refusal.retryAfterSeconds));
    return reply.code(refusal.status).send({ error: refusal.reason });
  };

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  app.setErrorHandler((error, request, reply) => refuse(request, reply, refusalOfRequestError(error, BODY_LIMIT)));
  app.setNotFoundHandler((request, reply) => refuse(request, reply, new Refusal(404, NOT_SERVED)));
  const allowed = new Set(options.corsOrigins);
  void app.register(cors, {
    origin: [...allowed],
    methods: ['POST'],
    allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
    credentials: true,
    maxAge: 600,
  });
  // CORS only stops browsers from reading answers; a request from a foreign page is refused before it does anything.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin) && request.method !== 'OPTIONS') {
      return refuse(request, reply, new Refusal(403, 'origin not allowed'));
    }
  });
  // Before it listens: a role that bypasses row-level security must not serve a single request.
  app.addHook('onReady', () => runtime.ready());
  app.addHook('onClose', () => runtime.close());

  app.get('/health', async () => ({ ok: true, mode: options.devNoAuth ? 'development' : 'token' }));

  const tenantOfNamespace = async (namespace: string): Promise<TenantId | undefined> => {
    const prefix = config.env.STEWARD_NAMESPACE_PREFIX;
    const id = TenantId.safeParse(namespace.startsWith(prefix) ? namespace.slice(prefix.length) : '');
    if (!id.success) return undefined;
    const tenant = await findTenant(pool, id.data);
    return tenant?.namespace === namespace ? tenant.id : undefined;
  };

  const authenticate = async (request: FastifyRequest): Promise<Caller> => {
    const header = request.headers.authorization;
    if (header === undefined) {
      if (!options.devNoAuth) throw new Refusal(401, 'a bearer token is required');
      if (!LOOPBACK_ADDRESSES.has(request.socket.remoteAddress ?? '') || !LOOPBACK_HOST.test(request.headers.host ?? '')) {
        throw new Refusal(401, 'a bearer token is required (development mode serves loopback requests only)');
      }
      return { user: DEV_ANONYMOUS_USER, view: piiViewOf(undefined), mayEncode: false, auth: 'none (development mode)' };
    }
    const token = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!token) throw new Refusal(401, 'Authorization: must be "Bearer <token>"');
    if (!config.identity) throw new Refusal(503, 'no identity provider is configured');
    try {
      const principal = await verifyUserToken(token, config.identity);
      return { user: principal.subject, tenant: principal.tenant, view: piiViewOf(principal), mayEncode: principal.scopes.includes(PII_WRITE_SCOPE), auth: 'token' };
    } catch (error) {
      // The reason is one of a fixed list (expired, signature_invalid, …), never the token or its claims.
      if (error instanceof TokenInvalidError) {
        throw new Refusal(error.reason === 'jwks_unavailable' ? 503 : 401, `token refused: ${error.reason}`, { cause: error });
      }
      throw error;
    }
  };

  /** The namespace's tenant, when the caller may use it: the token's own, or any for development mode. */
  const assertPermitted = (caller: Caller, owner: TenantId | undefined): TenantId => {
    if (owner === undefined || (caller.auth === 'token' && caller.tenant !== owner)) {
      throw new Refusal(403, caller.auth === 'token' ? NAMESPACE_NOT_PERMITTED : 'namespace not permitted');
    }
    return owner;
  };

  const recordCall = (tenant: TenantId, facts: RequestFacts & { caller: Caller }, outcome: Record<string, unknown>) =>
    recordAuditEvent(pool, tenant, {
      type: `codec.${facts.operation}`,
      userId: facts.caller.user,
      payload: {
        namespace: facts.namespace,
        ...(facts.payloads !== undefined ? { payloads: facts.payloads } : {}),
        view: facts.caller.view === 'restore' ? 'pii revealed' : 'pii masked',
        auth: facts.caller.auth,
        ...(facts.caller.tenant !== undefined && facts.caller.tenant !== tenant ? { tokenTenant: facts.caller.tenant } : {}),
        ...outcome,
      },
    });

  /** A refusal reaches the trail of the namespace's tenant and of the token's, when that is another existing one.
   *  Before the caller is known (no or a bad token) there is nobody to name: the log has it. */
  const auditRefusal = async (facts: RequestFacts, refusal: Refusal) => {
    const { caller } = facts;
    if (!caller) return;
    const trails = new Set<TenantId>(facts.owner ? [facts.owner] : []);
    if (caller.tenant !== undefined && caller.tenant !== facts.owner && (await findTenant(pool, caller.tenant))) trails.add(caller.tenant);
    const outcome = { outcome: refusal.status >= 500 ? 'failed' : 'refused', status: refusal.status, reason: refusal.reason };
    for (const tenant of trails) await recordCall(tenant, { ...facts, caller }, outcome);
  };

  /** A decode's turn: the caller is its token's tenant and subject (every development-mode request is one caller). */
  const decodeSlot = async (caller: Caller): Promise<() => void> => {
    try {
      return await decodeSlots.acquire(`${caller.tenant ?? ''} ${caller.user}`);
    } catch (error) {
      if (!(error instanceof DecodeSlotRefused)) throw error;
      throw new Refusal(error.status, error.message, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
    }
  };

  const handle = async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    const segments = request.params['*'].split('/').filter((segment) => segment !== '');
    const operation = segments.at(-1);
    if (operation !== 'encode' && operation !== 'decode') return refuse(request, reply, new Refusal(404, NOT_SERVED));
    const fromHeader = request.headers['x-namespace'];
    const fromPath = segments.at(-2);
    const namespace = typeof fromHeader === 'string' && fromHeader !== '' ? fromHeader : fromPath;
    if (!namespace) return refuse(request, reply, new Refusal(400, 'X-Namespace: the namespace is required'));
    if (fromPath !== undefined && typeof fromHeader === 'string' && fromHeader !== fromPath) {
      return refuse(request, reply, new Refusal(400, 'X-Namespace: differs from the namespace in the path'));
    }
    const facts: RequestFacts = { operation, namespace };
    let releaseDecodeSlot: (() => void) | undefined;
    try {
      facts.owner = await tenantOfNamespace(namespace);
      const caller = await authenticate(request);
      facts.caller = caller;
      const tenant = assertPermitted(caller, facts.owner);
      if (operation === 'encode' && !caller.mayEncode) throw new Refusal(403, `encoding needs the ${PII_WRITE_SCOPE} scope`);
      if (operation === 'decode') releaseDecodeSlot = await decodeSlot(caller);
      let payloads = readPayloads(request.body);
      facts.payloads = payloads.length;
      const chain = codecsFor(tenant, namespace, caller.view);
      try {
        for (const codec of operation === 'encode' ? chain : [...chain].reverse()) {
          payloads = await (operation === 'encode' ? codec.encode(payloads) : codec.decode(payloads));
        }
      } catch (error) {
        throw refusalOfCodecError(error, operation);
      }
      await recordCall(tenant, { ...facts, caller }, { outcome: 'ok' });
      // A decoded answer can be several copies of tens of MiB until the socket has taken it: the slot is held until
      // then, so the next heavy decode does not start beside it.
      const release = releaseDecodeSlot;
      if (release) reply.raw.once('close', release);
      releaseDecodeSlot = undefined;
      return reply.code(200).send({ payloads: payloads.map(toJson) });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      // The caller hears of the refusal even if the trail cannot be written; the log says so.
      await auditRefusal(facts, error).catch((failure: unknown) => logger.error({ ...loggable(facts), err: failure }, 'codec refusal not audited'));
      return refuse(request, reply, error, facts);
    } finally {
      releaseDecodeSlot?.();
    }
  };

  app.post(`${serverPathPrefix}/*`, handle);
  return app;
}

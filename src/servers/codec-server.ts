// The codec server: Temporal's remote codec protocol for the Web UI and the Temporal CLI.
// POST …/encode, POST …/decode (only the last path segment counts), body {payloads:[{metadata, data}]} with base64
// bytes, the namespace in X-Namespace (or the segment before the last, for the CLI's {namespace} template).
// 401 no or bad token · 403 a token of another tenant than the namespace's (unknown namespaces included) or an
// origin that is not the UI's · 400 a bad body or payloads that do not decode · 200 the payloads.
// Decoded views show PII masked unless the token carries `pii:read`; every call is recorded in the tenant's audit
// trail (who, the namespace, how many payloads — never the data). In development mode a request without a token,
// from loopback to a loopback Host, is served a masked view.
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAuditEvent } from '../audit/audit-log';
import { createTenantDataConverter } from '../codec/data-converter';
import { createKeyringFactory } from '../codec/keyring-factory';
import { createPiiCodec, type PiiView } from '../codec/pii-codec';
import { loadPiiMasterKey } from '../codec/pii-master-key';
import { createTenantPiiVault } from '../codec/pii-tenant-vault';
import type { RuntimeConfig } from '../config/runtime';
import { createPool } from '../db/pool';
import { isStewardError } from '../errors';
import { TokenInvalidError, verifyUserToken } from '../identity';
import { TenantId } from '../tenancy/tenant-id';
import { findTenant } from '../tenancy/tenant-registry';

export interface CodecServerOptions {
  config: RuntimeConfig;
  /** Browser origins allowed to call (the Temporal Web UI's); every other origin is refused. */
  corsOrigins: readonly string[];
  /** Development mode: a request without a token, from loopback, sees a masked view. Never for a shared host. */
  devNoAuth?: boolean;
}

/** The scope that lets a caller see PII in decoded payloads. */
export const PII_READ_SCOPE = 'pii:read';
/** Who the audit trail names for a development-mode request without a token. */
export const DEV_ANONYMOUS_USER = 'anonymous (codec-server development mode)';

const MAX_PAYLOADS = 10_000;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const Base64 = z.string().regex(BASE64, 'base64 bytes');
const JsonPayload = z.object({ metadata: z.record(z.string(), Base64).nullish(), data: Base64.nullish() });
const Body = z.object({ payloads: z.array(JsonPayload).max(MAX_PAYLOADS) });
type JsonPayload = z.infer<typeof JsonPayload>;

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/i;

interface Caller {
  user: string;
  view: PiiView;
  auth: 'token' | 'none (development mode)';
}

class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    message: string,
  ) {
    super(message);
  }
}

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))])),
  data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')),
});

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

export function createCodecServer(options: CodecServerOptions): FastifyInstance {
  const { config } = options;
  loadPiiMasterKey(config); // fail at start-up, not at the first request, when the vault cannot be keyed
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  const keys = createKeyringFactory(config, pool);
  const codecs = new Map<string, PayloadCodec[]>();
  // No vault cache: an erasure must show in the very next decode.
  const codecsFor = (tenant: TenantId, namespace: string, view: PiiView): PayloadCodec[] => {
    const key = `${tenant} ${view}`;
    let chain = codecs.get(key);
    if (!chain) {
      const keyring = keys.keyringFor(tenant);
      const piiCodec = createPiiCodec({ vault: createTenantPiiVault(config, pool, keyring, { cacheTtlMs: 0 }), view, namespace });
      chain = createTenantDataConverter({ keyring, namespace, compressAboveBytes: keys.compressAboveBytes, piiCodec }).payloadCodecs ?? [];
      codecs.set(key, chain);
    }
    return chain;
  };

  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
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
      return reply.code(403).send({ error: 'origin not allowed' });
    }
  });
  app.addHook('onClose', async () => {
    keys.close();
    await pool.end();
  });

  app.get('/health', async () => ({ ok: true, mode: options.devNoAuth ? 'development' : 'token' }));

  const tenantOfNamespace = async (namespace: string): Promise<TenantId | undefined> => {
    const prefix = config.env.STEWARD_NAMESPACE_PREFIX;
    const id = TenantId.safeParse(namespace.startsWith(prefix) ? namespace.slice(prefix.length) : '');
    if (!id.success) return undefined;
    const tenant = await findTenant(pool, id.data);
    return tenant?.namespace === namespace ? tenant.id : undefined;
  };

  const authenticate = async (request: FastifyRequest, tenant: TenantId | undefined): Promise<Caller> => {
    const header = request.headers.authorization;
    if (header === undefined) {
      if (!options.devNoAuth) throw new Refusal(401, 'a bearer token is required');
      if (!LOOPBACK_ADDRESSES.has(request.socket.remoteAddress ?? '') || !LOOPBACK_HOST.test(request.headers.host ?? '')) {
        throw new Refusal(401, 'a bearer token is required (development mode serves loopback requests only)');
      }
      if (!tenant) throw new Refusal(403, 'no tenant has this namespace');
      return { user: DEV_ANONYMOUS_USER, view: 'mask', auth: 'none (development mode)' };
    }
    const token = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!token) throw new Refusal(401, 'the Authorization header must be "Bearer <token>"');
    if (!config.identity) throw new Refusal(503, 'no identity provider is configured');
    try {
      const principal = await verifyUserToken(token, config.identity);
      if (!tenant || principal.tenant !== tenant) throw new Refusal(403, "token refused: the namespace is not the token's tenant's");
      return { user: principal.subject, view: principal.scopes.includes(PII_READ_SCOPE) ? 'restore' : 'mask', auth: 'token' };
    } catch (error) {
      if (error instanceof TokenInvalidError) throw new Refusal(error.reason === 'jwks_unavailable' ? 503 : 401, `token refused: ${error.reason}`);
      throw error;
    }
  };

  const handle = async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    const segments = request.params['*'].split('/').filter((segment) => segment !== '');
    const operation = segments.at(-1);
    if (operation !== 'encode' && operation !== 'decode') return reply.code(404).send({ error: 'only …/encode and …/decode are served' });
    const fromHeader = request.headers['x-namespace'];
    const fromPath = segments.at(-2);
    const namespace = typeof fromHeader === 'string' && fromHeader !== '' ? fromHeader : fromPath;
    if (!namespace) return reply.code(400).send({ error: 'X-Namespace: the namespace is required' });
    if (fromPath !== undefined && typeof fromHeader === 'string' && fromHeader !== fromPath) {
      return reply.code(400).send({ error: 'X-Namespace: differs from the namespace in the path' });
    }
    try {
      const tenant = await tenantOfNamespace(namespace);
      const caller = await authenticate(request, tenant);
      const body = Body.safeParse(request.body);
      if (!body.success) {
        throw new Refusal(400, body.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
      }
      const chain = codecsFor(tenant!, namespace, caller.view);
      const audit = (outcome: 'ok' | 'failed') =>
        recordAuditEvent(pool, tenant!, {
          type: `codec.${operation}`,
          userId: caller.user,
          payload: { namespace, payloads: body.data.payloads.length, view: caller.view === 'restore' ? 'pii revealed' : 'pii masked', auth: caller.auth, outcome },
        });
      let payloads = body.data.payloads.map(fromJson);
      try {
        for (const codec of operation === 'encode' ? chain : [...chain].reverse()) {
          payloads = await (operation === 'encode' ? codec.encode(payloads) : codec.decode(payloads));
        }
      } catch (error) {
        await audit('failed');
        const reason = isStewardError(error) ? error.message : 'a payload is malformed';
        return reply.code(400).send({ error: `the payloads could not be ${operation}d: ${reason}` });
      }
      await audit('ok');
      return reply.code(200).send({ payloads: payloads.map(toJson) });
    } catch (error) {
      if (error instanceof Refusal) return reply.code(error.status).send({ error: error.message });
      throw error;
    }
  };

  app.post('/*', handle);
  return app;
}

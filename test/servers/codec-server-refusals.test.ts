// The codec server when it says no, against the shared stack's Postgres, Vault and STS: payloads that would inflate
// beyond the size limits, refusals in fixed words that never carry the Vault address, a key name or a stack, the
// detail in the server's log, and every refusal with a known caller in the tenant's audit trail.
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents, type StoredAuditEvent } from '../../src/audit/audit-log';
import { MAX_PAYLOAD_BYTES, MAX_REQUEST_PAYLOAD_BYTES } from '../../src/codec/config';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { KEY_ID_METADATA, PayloadTooLargeError } from '../../src/codec/encryption-codec';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { createCodecServer, type CodecServerOptions } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, stsUrl, testConfig } from '../support/stack';
import { startTcpProxy } from '../support/tcp-proxy';

const config = testConfig();
const MiB = 1024 * 1024;

type JsonPayload = { metadata: Record<string, string>; data: string };
let tenant: TenantId;
let other: TenantId;
let app: Pool;
let keys: KeyringFactory;
const servers: FastifyInstance[] = [];
let base: string;
let logLines: string[];
/** A small JSON payload as history holds it, encrypted with the tenant's key. */
let sealed: JsonPayload;
let keyId: string;

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const bytesPayload = (bytes: number) => defaultPayloadConverter.toPayload(new Uint8Array(bytes));

/** Seals payloads as a worker of the tenant would (encryption only: these tests are about the sealed bytes). */
async function seal(payloads: Payload[]): Promise<JsonPayload[]> {
  const [encryption] = createTenantDataConverter({ keyring: keys.keyringFor(tenant), namespace: tenant }).payloadCodecs!;
  return (await encryption!.encode(payloads)).map(toJson);
}

async function token(forTenant: string, scopes?: string[]): Promise<string> {
  return (await mintDevToken(stsUrl(), { user: 'alice', tenant: forTenant, ...(scopes ? { scopes } : {}) })).accessToken;
}

async function call(path: string, options: { namespace?: string; bearer?: string; body?: unknown; raw?: string; url?: string } = {}) {
  const response = await fetch(`${options.url ?? base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.namespace !== undefined ? { 'x-namespace': options.namespace } : {}),
      ...(options.bearer !== undefined ? { authorization: `Bearer ${options.bearer}` } : {}),
    },
    body: options.raw ?? JSON.stringify(options.body ?? { payloads: [sealed] }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as { error?: string; payloads?: JsonPayload[] } };
}

/** A codec server of its own, logging into `logLines`. */
async function startServer(overrides: Partial<CodecServerOptions> = {}): Promise<string> {
  const logger = createLogger('codec-server-test', 'info', { write: (line: string) => void logLines.push(line) });
  const server = createCodecServer({ config, corsOrigins: [], logger, ...overrides });
  servers.push(server);
  return server.listen({ port: 0, host: '127.0.0.1' });
}

const codecEvents = async (of: TenantId) => (await listAuditEvents(app, of)).filter((event) => event.type.startsWith('codec.'));
const lastEvent = async (of: TenantId): Promise<StoredAuditEvent | undefined> => (await codecEvents(of)).at(-1);

/** Whatever a refusal answers, none of this is in it. */
function expectNoDetail(text: string) {
  for (const detail of [keyId, tenant, other, 'steward-codec-', 'vault', 'Vault', config.secretsEnv.VAULT_ADDR ?? 'vault at', '    at ', 'Error']) {
    expect(text).not.toContain(detail);
  }
}

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('codecref'), createTestTenant('codecref-other')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
  sealed = (await seal([defaultPayloadConverter.toPayload({ amount: 12 })]))[0]!;
  keyId = Buffer.from(sealed.metadata[KEY_ID_METADATA]!, 'base64').toString('utf8');
  logLines = [];
  base = await startServer();
});
beforeEach(() => {
  logLines = [];
});
afterAll(async () => {
  for (const server of servers) await server.close();
  keys?.close();
  await app?.end();
});

test('a decode whose payloads together inflate beyond the per-request limit is refused naming it; the next request is served', async () => {
  const bearer = await token(tenant);
  // Three sealed payloads of deflated zeros: a few hundred KiB on the wire, 72 MiB once inflated.
  const bombs = await seal([bytesPayload(24 * MiB), bytesPayload(24 * MiB), bytesPayload(24 * MiB)]);
  expect(JSON.stringify(bombs).length).toBeLessThan(MiB);

  const refused = await call('/decode', { namespace: tenant, bearer, body: { payloads: bombs } });
  expect(refused).toMatchObject({ status: 413, body: { error: `payloads exceed the limit of ${MAX_REQUEST_PAYLOAD_BYTES} bytes per request` } });
  expect(await lastEvent(tenant)).toMatchObject({
    type: 'codec.decode',
    userId: 'alice',
    payload: { namespace: tenant, payloads: 3, outcome: 'refused', status: 413, reason: refused.body.error },
  });

  const one = await call('/decode', { namespace: tenant, bearer, body: { payloads: bombs.slice(0, 1) } });
  expect(one.status).toBe(200);
  expect(Buffer.from(one.body.payloads![0]!.data, 'base64').length).toBe(24 * MiB);
  expect((await call('/decode', { namespace: tenant, bearer })).status).toBe(200);
});

test('the codec refuses to encode a payload larger than decode accepts; the largest it encodes decodes through the server', async () => {
  await expect(seal([bytesPayload(MAX_PAYLOAD_BYTES)])).rejects.toBeInstanceOf(PayloadTooLargeError);
  await expect(seal([bytesPayload(MAX_PAYLOAD_BYTES)])).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', per: 'payload', limitBytes: MAX_PAYLOAD_BYTES });

  // Room for the metadata and the protobuf framing: the serialized payload is then just under the limit.
  const [largest] = await seal([bytesPayload(MAX_PAYLOAD_BYTES - 1024)]);
  const decoded = await call('/decode', { namespace: tenant, bearer: await token(tenant), body: { payloads: [largest] } });
  expect(decoded.status).toBe(200);
  expect(Buffer.from(decoded.body.payloads![0]!.data, 'base64').length).toBe(MAX_PAYLOAD_BYTES - 1024);
});

test('/encode refuses a payload above the per-payload limit, and payloads that together carry more than a request may', async () => {
  const bearer = await token(tenant, ['pii:write']);
  const tooLarge = await call('/encode', { namespace: tenant, bearer, body: { payloads: [toJson(bytesPayload(MAX_PAYLOAD_BYTES + 1))] } });
  expect(tooLarge).toMatchObject({ status: 413, body: { error: `a payload exceeds the limit of ${MAX_PAYLOAD_BYTES} bytes per payload` } });

  const third = toJson(bytesPayload(Math.ceil(MAX_REQUEST_PAYLOAD_BYTES / 3) + 1));
  const tooMuch = await call('/encode', { namespace: tenant, bearer, body: { payloads: [third, third, third] } });
  expect(tooMuch).toMatchObject({ status: 413, body: { error: `payloads exceed the limit of ${MAX_REQUEST_PAYLOAD_BYTES} bytes per request` } });
  expect(await lastEvent(tenant)).toMatchObject({ type: 'codec.encode', payload: { outcome: 'refused', status: 413, reason: tooMuch.body.error } });
  expect((await call('/encode', { namespace: tenant, bearer, body: { payloads: [toJson(bytesPayload(16))] } })).status).toBe(200);
});

test('a tampered payload: 400 "payload does not authenticate" and nothing more; the trail records the refusal, the log the detail', async () => {
  const data = Buffer.from(sealed.data, 'base64');
  data[20] = data[20]! ^ 0xff;
  const response = await call('/decode', { namespace: tenant, bearer: await token(tenant), body: { payloads: [{ ...sealed, data: data.toString('base64') }] } });
  expect(response).toMatchObject({ status: 400, body: { error: 'payload does not authenticate' } });
  expectNoDetail(response.text);
  expect(await lastEvent(tenant)).toMatchObject({
    type: 'codec.decode',
    userId: 'alice',
    payload: { namespace: tenant, payloads: 1, outcome: 'refused', status: 400, reason: 'payload does not authenticate' },
  });
  const logged = logLines.map((line) => JSON.parse(line)).find((line) => line.status === 400);
  expect(logged).toMatchObject({ namespace: tenant, user: 'alice', reason: 'payload does not authenticate', err: { code: 'INPUT_INVALID' } });
  expect(logged.err.message).toContain('do not authenticate');
});

test("tenant A's token on tenant B's namespace: 403 in fixed words, in both tenants' trails; a namespace nobody has answers the same", async () => {
  const bearer = await token(other, ['pii:read']);
  const foreign = await call('/decode', { namespace: tenant, bearer });
  expect(foreign).toMatchObject({ status: 403, body: { error: 'namespace not permitted for this token' } });
  expectNoDetail(foreign.text);
  const refusal = { namespace: tenant, outcome: 'refused', status: 403, reason: 'namespace not permitted for this token', view: 'pii revealed' };
  expect(await lastEvent(tenant)).toMatchObject({ type: 'codec.decode', userId: 'alice', payload: { ...refusal, tokenTenant: other } });
  expect(await lastEvent(other)).toMatchObject({ type: 'codec.decode', userId: 'alice', payload: refusal });

  const nobodys = await call('/decode', { namespace: 'no-such-namespace', bearer });
  expect(nobodys).toMatchObject({ status: 403, body: foreign.body });
  expect(await lastEvent(other)).toMatchObject({ payload: { ...refusal, namespace: 'no-such-namespace' } });
});

test('a bad body: 400 naming the field (the first few of many), in the trail', async () => {
  const bearer = await token(tenant);
  const response = await call('/decode', { namespace: tenant, bearer, body: { payloads: [{ data: 'not base64!' }] } });
  expect(response).toMatchObject({ status: 400, body: { error: 'payloads[0].data: base64 bytes' } });
  expect(await lastEvent(tenant)).toMatchObject({ payload: { namespace: tenant, outcome: 'refused', status: 400, reason: 'payloads[0].data: base64 bytes' } });

  const many = await call('/decode', { namespace: tenant, bearer, body: { payloads: Array.from({ length: 50 }, () => ({ data: '!' })) } });
  expect(many.body.error!.split('; ')).toEqual(['payloads[0].data: base64 bytes', 'payloads[1].data: base64 bytes', 'payloads[2].data: base64 bytes']);
  const notJson = await call('/decode', { namespace: tenant, bearer, raw: '{"payloads": [' });
  expect(notJson).toMatchObject({ status: 400, body: { error: 'body: not valid JSON' } });
});

test('no or a bad token: 401 logged, not audited (no one to name), and the token is in neither the answer nor the log', async () => {
  const before = (await codecEvents(tenant)).length;
  const secretish = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.c2VjcmV0LXRva2VuLWNhbmFyeQ';
  const response = await call('/decode', { namespace: tenant, bearer: secretish });
  expect(response).toMatchObject({ status: 401, body: { error: expect.stringMatching(/^token refused: [a-z_]+$/) } });
  expect((await call('/decode', { namespace: tenant })).status).toBe(401);
  expect((await codecEvents(tenant)).length).toBe(before);
  expect(logLines.filter((line) => JSON.parse(line).status === 401)).toHaveLength(2);
  expect(logLines.join('\n')).not.toContain('c2VjcmV0LXRva2VuLWNhbmFyeQ');
});

test("Vault's address and key names stay in the log: a server whose Transit key is missing answers 503 in fixed words", async () => {
  const url = await startServer({ config: { ...config, secretsEnv: { ...config.secretsEnv, STEWARD_CODEC_TRANSIT_KEY_PREFIX: 'steward-missing-' } } });
  const response = await call('/decode', { url, namespace: tenant, bearer: await token(tenant) });
  expect(response).toMatchObject({ status: 503, body: { error: 'the key service is unavailable' } });
  expectNoDetail(response.text);
  expect(response.text).not.toContain('steward-missing-');
  expect(await lastEvent(tenant)).toMatchObject({ payload: { outcome: 'failed', status: 503, reason: 'the key service is unavailable' } });
  const log = logLines.join('\n');
  expect(log).toContain(`steward-missing-${tenant}`);
  expect(log).toContain(config.secretsEnv.VAULT_ADDR);
});

test('an unexpected failure answers 500 "internal error"; the detail is logged only', async () => {
  // The server starts on a reachable database (it checks its role first), which then goes away.
  const database = new URL(config.appDatabaseUrl);
  const proxy = await startTcpProxy({ port: Number(database.port) });
  database.port = String(proxy.port);
  const url = await startServer({ config: { ...config, appDatabaseUrl: database.toString() } });
  await proxy.cut();
  const response = await call('/decode', { url, namespace: tenant, bearer: await token(tenant) });
  await proxy.close();
  expect(response).toMatchObject({ status: 500, body: { error: 'internal error' } });
  expect(response.text).not.toContain('127.0.0.1');
  expect(response.text).not.toContain('ECONNREFUSED');
  expect(logLines.join('\n')).toContain('ECONNREFUSED');
});

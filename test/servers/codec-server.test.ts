// The codec server from a caller's side and an attacker's, in-process against the shared stack's Postgres, Vault
// and STS: bearer auth, the tenant of the namespace, masked vs revealed views, CORS, the audit trail, erasure.
import { request as httpRequest } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import type { FastifyInstance } from 'fastify';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec } from '../../src/codec/pii-codec';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { createCodecServer, DEV_ANONYMOUS_USER } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, stsUrl, testConfig } from '../support/stack';

const config = testConfig();
const UI_ORIGIN = 'http://127.0.0.1:38233';
/** Refusals are logged; these tests read answers and the audit trail, so the log is dropped. */
const logger = createLogger('codec-server-test', 'silent');
const INPUT = { applicant: 'Ada Lovelace', email: 'ada.canary@example.org', ssn: '078-05-1120', note: 'call +1 415 555 0142' };

let tenant: TenantId;
let other: TenantId;
let app: Pool;
let keys: KeyringFactory;
let server: FastifyInstance;
let base: string;
/** The run input as history holds it: tokenized, then encrypted with the tenant's key (protobuf-JSON form). */
let stored: { payloads: Array<{ metadata: Record<string, string>; data: string }> };

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const decodedValue = (body: { payloads: Array<{ metadata: Record<string, string>; data: string }> }) =>
  JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString('utf8'));

async function token(forTenant: string, scopes?: string[]): Promise<string> {
  return (await mintDevToken(stsUrl(), { user: 'alice', tenant: forTenant, ...(scopes ? { scopes } : {}) })).accessToken;
}

/** fetch() will not send a Host of our choosing: a page behind a rebound DNS name would, so node:http plays it. */
function statusWithHost(url: string, host: string, namespace: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { host, 'content-type': 'application/json', 'x-namespace': namespace } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
    request.end(JSON.stringify(stored));
  });
}

async function call(path: string, options: { namespace?: string; bearer?: string; body?: unknown; origin?: string; url?: string } = {}) {
  const response = await fetch(`${options.url ?? base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.namespace !== undefined ? { 'x-namespace': options.namespace } : {}),
      ...(options.bearer !== undefined ? { authorization: `Bearer ${options.bearer}` } : {}),
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
    },
    body: JSON.stringify(options.body ?? stored),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> & typeof stored };
}

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('codecsrv'), createTestTenant('codecsrv-other')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
  const keyring = keys.keyringFor(tenant);
  const piiCodec = createPiiCodec({ vault: createTenantPiiVault(config, app, keyring), namespace: tenant });
  let payloads = [defaultPayloadConverter.toPayload(INPUT)];
  for (const codec of createTenantDataConverter({ keyring, namespace: tenant, piiCodec }).payloadCodecs!) payloads = await codec.encode(payloads);
  stored = { payloads: payloads.map(toJson) };
  expect(JSON.stringify(stored)).not.toContain('ada.canary');

  server = createCodecServer({ config, corsOrigins: [UI_ORIGIN], logger });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  keys?.close();
  await app?.end();
});

test('no token → 401; a token the STS never signed → 401; a token with alg none → 401', async () => {
  expect((await call('/decode', { namespace: tenant })).status).toBe(401);
  expect((await call('/decode', { namespace: tenant, bearer: 'not-a-jwt' })).status).toBe(401);

  const { privateKey } = await generateKeyPair('ES256');
  const forged = await new SignJWT({ tenant, scope: 'pii:read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'attacker' })
    .setIssuer(config.identity!.issuer)
    .setAudience(config.identity!.audience)
    .setSubject('mallory')
    .setExpirationTime('5m')
    .sign(privateKey);
  expect(await call('/decode', { namespace: tenant, bearer: forged })).toMatchObject({ status: 401, body: { error: expect.stringMatching(/^token refused: (key_not_found|signature_invalid)$/) } });

  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ sub: 'mallory', tenant, iss: config.identity!.issuer, aud: config.identity!.audience, exp: 9_999_999_999, scope: 'pii:read' })).toString('base64url');
  expect((await call('/decode', { namespace: tenant, bearer: `${header}.${claims}.` })).status).toBe(401);
});

test("tenant A's token on tenant B's namespace → 403, and on a namespace nobody has → 403", async () => {
  expect((await call('/decode', { namespace: tenant, bearer: await token(other, ['pii:read']) })).status).toBe(403);
  expect((await call('/decode', { namespace: 'no-such-namespace', bearer: await token(tenant, ['pii:read']) })).status).toBe(403);
});

test("another tenant's codec cannot open this tenant's payloads even with its own valid token", async () => {
  const response = await call('/decode', { namespace: other, bearer: await token(other, ['pii:read']) });
  expect(response.status).toBe(400);
  expect(JSON.stringify(response.body)).not.toContain('ada.canary');
});

test('a viewer token sees PII masked; a pii:read token sees the real values', async () => {
  const viewer = await call('/decode', { namespace: tenant, bearer: await token(tenant, ['expenses:read']) });
  expect(viewer.status).toBe(200);
  expect(decodedValue(viewer.body)).toEqual({ applicant: 'Ada Lovelace', email: 'a***@example.org', ssn: '***-**-1120', note: 'call +* *** *** 0142' });

  const reader = await call('/decode', { namespace: tenant, bearer: await token(tenant, ['pii:read']) });
  expect(reader.status).toBe(200);
  expect(decodedValue(reader.body)).toEqual(INPUT);
});

test('the CLI form works too: namespace in the path, payloads re-encoded through /encode', async () => {
  const bearer = await token(tenant, ['pii:read', 'pii:write']);
  const encoded = await call(`/${tenant}/encode`, { bearer, body: { payloads: [toJson(defaultPayloadConverter.toPayload({ mail: 'cli.canary@example.org' }))] } });
  expect(encoded.status).toBe(200);
  expect(JSON.stringify(encoded.body)).not.toContain('cli.canary');
  expect(decodedValue((await call(`/${tenant}/decode`, { bearer, body: encoded.body })).body)).toEqual({ mail: 'cli.canary@example.org' });
  expect((await call(`/${other}/decode`, { namespace: tenant, bearer })).status).toBe(400);
});

test('under STEWARD_CODEC_SERVER_PATH_PREFIX the routes move: /codec/decode with X-Namespace, /codec/{namespace}/decode', async () => {
  // At the root, /codec/decode reads "codec" as the namespace in the path, which X-Namespace contradicts.
  const bearer = await token(tenant, ['pii:read']);
  expect((await call('/codec/decode', { namespace: tenant, bearer })).status).toBe(400);

  const prefixed = createCodecServer({ config: { ...config, secretsEnv: { ...config.secretsEnv, STEWARD_CODEC_SERVER_PATH_PREFIX: '/codec' } }, corsOrigins: [UI_ORIGIN], logger });
  const url = await prefixed.listen({ port: 0, host: '127.0.0.1' });
  try {
    expect(decodedValue((await call('/codec/decode', { url, namespace: tenant, bearer })).body)).toEqual(INPUT);
    expect(decodedValue((await call(`/codec/${tenant}/decode`, { url, bearer })).body)).toEqual(INPUT);
    expect(await call('/decode', { url, namespace: tenant, bearer })).toMatchObject({ status: 404, body: { error: 'only …/encode and …/decode are served' } });
  } finally {
    await prefixed.close();
  }
});

test('a bad body → 400 naming the field', async () => {
  const response = await call('/decode', { namespace: tenant, bearer: await token(tenant), body: { payloads: [{ data: 'not base64!' }] } });
  expect(response).toMatchObject({ status: 400, body: { error: expect.stringContaining('payloads[0].data') } });
});

test('CORS: the UI origin may call, a foreign origin is refused', async () => {
  const preflight = (origin: string) =>
    fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' } });
  const allowed = await preflight(UI_ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(allowed.headers.get('access-control-allow-headers')).toContain('x-namespace');
  const foreign = await preflight('https://evil.example');
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

  const fromUi = await call('/decode', { namespace: tenant, bearer: await token(tenant), origin: UI_ORIGIN });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  // A page elsewhere that skips the preflight still gets nothing.
  const fromElsewhere = await call('/decode', { namespace: tenant, bearer: await token(tenant, ['pii:read']), origin: 'https://evil.example' });
  expect(fromElsewhere.status).toBe(403);
  expect(JSON.stringify(fromElsewhere.body)).not.toContain('ada.canary');
});

test('every decode is in the audit trail: who, the namespace, how many payloads — never the data', async () => {
  await call('/decode', { namespace: tenant, bearer: await token(tenant, ['pii:read']) });
  const events = (await listAuditEvents(app, tenant)).filter((event) => event.type === 'codec.decode');
  expect(events.length).toBeGreaterThan(0);
  expect(events.at(-1)).toMatchObject({ userId: 'alice', payload: { namespace: tenant, payloads: 1, view: 'pii revealed', auth: 'token', outcome: 'ok' } });
  expect(events.some((event) => event.payload?.view === 'pii masked')).toBe(true);
  const trail = JSON.stringify(await listAuditEvents(app, tenant));
  for (const canary of ['ada.canary', '078-05-1120', '555 0142']) expect(trail).not.toContain(canary);
});

test('development mode: no token from loopback → masked view only; a foreign Host (DNS rebinding) → 401', async () => {
  const dev = createCodecServer({ config, corsOrigins: [UI_ORIGIN], devNoAuth: true, logger });
  const url = await dev.listen({ port: 0, host: '127.0.0.1' });
  try {
    const anonymous = await call('/decode', { url, namespace: tenant });
    expect(anonymous.status).toBe(200);
    expect(decodedValue(anonymous.body)).toMatchObject({ email: 'a***@example.org', ssn: '***-**-1120' });
    expect(await statusWithHost(`${url}/decode`, 'attacker.example', tenant)).toBe(401);
    expect(await statusWithHost(`${url}/decode`, new URL(url).host, tenant)).toBe(200);
    // A token is still verified in development mode, and pii:read still means real values.
    expect((await call('/decode', { url, namespace: tenant, bearer: 'not-a-jwt' })).status).toBe(401);
    expect(decodedValue((await call('/decode', { url, namespace: tenant, bearer: await token(tenant, ['pii:read']) })).body)).toEqual(INPUT);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true, mode: 'development' });
    const events = await listAuditEvents(app, tenant);
    expect(events.some((event) => event.type === 'codec.decode' && event.userId === DEV_ANONYMOUS_USER)).toBe(true);
  } finally {
    await dev.close();
  }
});

test('after `steward pii erase`, real values are gone for good: pii:read shows the token', async () => {
  const erased = await runCli(['pii', 'erase', '--tenant', tenant, '--value', '-', '--json'], { stdin: 'ada.canary@example.org\n' });
  expect(erased.stderr).toBe('');
  expect(JSON.parse(erased.stdout)).toEqual({ erased: 1, types: ['email'] });

  const reader = await call('/decode', { namespace: tenant, bearer: await token(tenant, ['pii:read']) });
  expect(decodedValue(reader.body)).toEqual({ ...INPUT, email: expect.stringMatching(/^\[pii:email:tok_[\w-]+\]$/) });
  const events = await listAuditEvents(app, tenant);
  const erasure = events.find((event) => event.type === 'pii.erased');
  expect(erasure?.payload).toEqual({ entries: 1, types: ['email'] });
  expect(JSON.stringify(events)).not.toContain('ada.canary');
});

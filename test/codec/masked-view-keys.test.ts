// From an attacker's side, through the real codec server: a phone stored as a JSON integer and an SSN without
// separators are PII because their keys say so. A viewer without pii:read sees them masked, whether the payload was
// written today (tokenized) or before keys were context (encrypted only); a pii:read viewer sees them as written.
import type { FastifyInstance } from 'fastify';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { mintDevToken } from '../../dev-server/sts';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec } from '../../src/codec/pii-codec';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { createCodecServer } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, stsUrl, testConfig } from '../support/stack';

const config = testConfig();
const RECORD = { name: 'Ada Lovelace', phone: 4155550123, ssn: '078051120', contacts: { mobilePhone: 4155550199 }, amount: 4155550123 };
type Stored = { payloads: Array<{ metadata: Record<string, string>; data: string }> };

let tenant: TenantId;
let app: Pool;
let keys: KeyringFactory;
let server: FastifyInstance;
let base: string;

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

/** The record as history holds it: through the tenant's converter, with or without the PII codec. */
async function stored(withPiiCodec: boolean): Promise<Stored> {
  const keyring = keys.keyringFor(tenant);
  const piiCodec = withPiiCodec ? createPiiCodec({ vault: createTenantPiiVault(config, app, keyring), namespace: tenant }) : undefined;
  let payloads = [defaultPayloadConverter.toPayload(RECORD)];
  for (const codec of createTenantDataConverter({ keyring, namespace: tenant, piiCodec }).payloadCodecs!) payloads = await codec.encode(payloads);
  return { payloads: payloads.map(toJson) };
}

async function decodeAs(body: Stored, scopes: string[]): Promise<unknown> {
  const bearer = (await mintDevToken(stsUrl(), { user: 'carol', tenant, scopes })).accessToken;
  const response = await fetch(`${base}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': tenant, authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as Stored;
  return JSON.parse(Buffer.from(answer.payloads[0]!.data, 'base64').toString('utf8'));
}

beforeAll(async () => {
  tenant = await createTestTenant('maskedkeys');
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
  server = createCodecServer({ config, corsOrigins: [], logger: createLogger('masked-view-keys-test', 'silent') });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  keys?.close();
  await app?.end();
});

test('a phone stored as an integer and an SSN without separators are tokenized: neither reaches history', async () => {
  const body = await stored(true);
  const keyring = keys.keyringFor(tenant);
  let payloads: Payload[] = body.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data, 'base64')),
  }));
  // opened with the encryption key alone, as someone holding the key but not the PII vault would see it
  for (const codec of createTenantDataConverter({ keyring, namespace: tenant }).payloadCodecs!) payloads = await codec.decode(payloads);
  const opened = Buffer.from(payloads[0]!.data!).toString('utf8');
  expect(opened).toMatch(/"phone":"\[pii:phone:tok_[^"]+\]"/);
  expect(opened).toMatch(/"ssn":"\[pii:ssn:tok_[^"]+\]"/);
  expect(opened).not.toContain('078051120');
  // an amount under a key that names nothing stays a number
  expect(opened).toContain('"amount":4155550123');
});

test.each([
  ['written today (tokenized)', true],
  ['written before keys were context (encrypted only)', false],
])('a viewer without pii:read sees them masked, a pii:read viewer in clear: payload %s', async (_when, withPiiCodec) => {
  const body = await stored(withPiiCodec);
  const masked = await decodeAs(body, ['expenses:read']);
  expect(masked).toEqual({ name: 'Ada Lovelace', phone: '******0123', ssn: '*****1120', contacts: { mobilePhone: '******0199' }, amount: 4155550123 });
  const { amount: _amount, ...named } = masked as Record<string, unknown>;
  expect(JSON.stringify(named)).not.toMatch(/415555|07805/);

  expect(await decodeAs(body, ['pii:read'])).toEqual(RECORD);
});

// The codec server's /encode from an attacker's side, against the shared stack's Postgres, Vault and STS: encoding
// writes every distinct PII value into the tenant's vault, so a token without `pii:write` is refused and a request
// with more distinct values than the cap is refused before anything is written; both refusals are audited.
import { defaultPayloadConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { Client as PgClient, type Pool } from 'pg';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { createCodecServer, MAX_ENCODE_DISTINCT_VALUES } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, stsUrl, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let app: Pool;
let server: FastifyInstance;
let base: string;

const payloadOf = (value: unknown) => {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
};
const emails = (count: number, tag: string) => Array.from({ length: count }, (_, i) => `${tag}.${i}@example.org`);

async function token(scopes: string[]): Promise<string> {
  return (await mintDevToken(stsUrl(), { user: 'alice', tenant, scopes })).accessToken;
}

async function encode(bearer: string, value: unknown) {
  const response = await fetch(`${base}/encode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': tenant, authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ payloads: [payloadOf(value)] }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; payloads?: unknown[] } };
}

/** The tenant's vault entries, counted as the database owner (no row-level security in the way). */
async function vaultEntries(): Promise<number> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM pii_vault WHERE tenant_id = $1', [tenant])).rows[0]!.n);
  } finally {
    await db.end();
  }
}

beforeAll(async () => {
  tenant = await createTestTenant('codecsrv-encode');
  app = createPool(config.appDatabaseUrl, { max: 2 });
  server = createCodecServer({ config, corsOrigins: [], logger: createLogger('codec-server-encode-test', 'silent') });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await app?.end();
});

test('a token without pii:write → 403, even with pii:read, and nothing is written to pii_vault; the refusal is audited', async () => {
  const before = await vaultEntries();
  for (const scopes of [['expenses:read'], ['pii:read']]) {
    const refused = await encode(await token(scopes), { to: emails(50, 'noscope') });
    expect(refused).toEqual({ status: 403, body: { error: 'encoding needs the pii:write scope' } });
  }
  expect(await vaultEntries()).toBe(before);
  const events = await listAuditEvents(app, tenant);
  expect(events.at(-1)).toMatchObject({ type: 'codec.encode', userId: 'alice', payload: { outcome: 'refused', status: 403, reason: 'encoding needs the pii:write scope' } });
});

test('more distinct PII values than the cap → 413 before any vault write; at the cap the values are tokenized', async () => {
  const bearer = await token(['pii:write']);
  const before = await vaultEntries();
  const tooMany = await encode(bearer, { to: emails(MAX_ENCODE_DISTINCT_VALUES + 1, 'flood') });
  expect(tooMany).toEqual({ status: 413, body: { error: `payloads hold more than ${MAX_ENCODE_DISTINCT_VALUES} distinct PII values, the limit per request` } });
  expect(await vaultEntries()).toBe(before);
  expect((await listAuditEvents(app, tenant)).at(-1)).toMatchObject({ type: 'codec.encode', payload: { outcome: 'refused', status: 413 } });

  // Repeats of one value count once: the cap is on what would be written, not on how often a value appears.
  const repeated = await encode(bearer, { to: [...emails(3, 'same'), ...emails(3, 'same'), ...emails(3, 'same')] });
  expect(repeated.status).toBe(200);
  expect(await vaultEntries()).toBe(before + 3);
  expect(JSON.stringify(repeated.body)).not.toContain('same.0@example.org');
});

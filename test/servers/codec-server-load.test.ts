// The codec server under a flood of decodes that inflate well, on a real server process (its own memory, measured
// from /proc): one caller's concurrent heavy decodes run one at a time, the excess is answered 429 with
// Retry-After and audited, the server's resident memory stays bounded, and another caller is still served.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { mintDevToken } from '../../dev-server/sts/dev-client';
import { listAuditEvents } from '../../src/audit/audit-log';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, processExit, stsUrl, testConfig } from '../support/stack';

const config = testConfig();
const MiB = 1024 * 1024;
/** Concurrent heavy decodes from one caller: each inflates to 60 MiB, just under the per-request limit (64 MiB). */
const FLOOD = 12;
/** What the server's resident memory must stay under during the flood: one such decode in flight holds several
 *  copies of its 60 MiB (inflated bytes, base64, the JSON answer), and the heap lags behind. Without a limit, four
 *  such decodes took it from 277 MB to 1.09 GB, and twelve go to several GB. */
const RSS_BOUND_BYTES = 1024 * MiB;

type JsonPayload = { metadata: Record<string, string>; data: string };
let tenant: TenantId;
let app: Pool;
let keys: KeyringFactory;
let server: ChildProcess;
let serverLog = '';
let base: string;

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

async function seal(payloads: Payload[]): Promise<JsonPayload[]> {
  const [encryption] = createTenantDataConverter({ keyring: keys.keyringFor(tenant), namespace: tenant }).payloadCodecs!;
  return (await encryption!.encode(payloads)).map(toJson);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

async function decode(bearer: string, body: string) {
  const response = await fetch(`${base}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': tenant, authorization: `Bearer ${bearer}` },
    body,
  });
  const text = await response.text();
  // A decoded answer is some 80 MiB: only its size is kept.
  return { status: response.status, retryAfter: response.headers.get('retry-after'), bytes: text.length, text: response.status === 200 ? '' : text };
}

beforeAll(async () => {
  tenant = await createTestTenant('codecload');
  app = createPool(config.appDatabaseUrl, { max: 2 });
  keys = createKeyringFactory(config, app);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [STEWARD_BIN, 'codec-server', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr!.on('data', (chunk) => (serverLog += chunk));
  const deadline = Date.now() + 60_000;
  while (!serverLog.includes('listening on')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the codec server did not start:\n${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 90_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  if (server) await processExit(server);
  keys?.close();
  await app?.end();
});

test(`${FLOOD} concurrent 60 MiB decodes from one caller: bounded memory, the excess 429 with Retry-After, another caller served`, async () => {
  const [attacker, bystander] = await Promise.all([
    mintDevToken(stsUrl(), { user: 'carol', tenant }).then((token) => token.accessToken),
    mintDevToken(stsUrl(), { user: 'bob', tenant }).then((token) => token.accessToken),
  ]);
  const heavy = JSON.stringify({ payloads: await seal([defaultPayloadConverter.toPayload(new Uint8Array(30 * MiB)), defaultPayloadConverter.toPayload(new Uint8Array(30 * MiB))]) });
  const small = JSON.stringify({ payloads: await seal([defaultPayloadConverter.toPayload({ amount: 12 })]) });
  expect(heavy.length).toBeLessThan(MiB);
  expect((await decode(bystander, small)).status).toBe(200);
  const idle = rssOf(server.pid!);

  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid!))), 20);
  try {
    const flood = Promise.all(Array.from({ length: FLOOD }, () => decode(attacker, heavy)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const startedAt = Date.now();
    const served = await decode(bystander, small);
    const bystanderMs = Date.now() - startedAt;
    const answers = await flood;
    const statuses = answers.map((answer) => answer.status);
    process.stdout.write(
      `codec-server flood: idle RSS ${Math.round(idle / MiB)} MiB, peak ${Math.round(peak / MiB)} MiB; ` +
        `answers ${statuses.join(',')}; bystander ${served.status} in ${bystanderMs} ms\n`,
    );

    expect(served.status).toBe(200);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    for (const answer of answers.filter((a) => a.status === 429)) {
      expect(answer).toMatchObject({ retryAfter: expect.stringMatching(/^\d+$/), text: JSON.stringify({ error: 'too many decodes in flight for this caller' }) });
    }
    for (const answer of answers.filter((a) => a.status === 200)) expect(answer.bytes).toBeGreaterThan(80 * MiB);
  } finally {
    clearInterval(sampler);
  }
  expect(peak).toBeLessThan(RSS_BOUND_BYTES);

  const refused = (await listAuditEvents(app, tenant)).filter((event) => event.type === 'codec.decode' && event.payload?.status === 429);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused[0]).toMatchObject({ userId: 'carol', payload: { outcome: 'refused', reason: 'too many decodes in flight for this caller' } });
}, 180_000);

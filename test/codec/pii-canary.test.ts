// End to end, with a real worker process: a run whose input carries planted email, SSN, card and phone values
// uses them for real in its tool step, while Temporal history (read without any codec, by the SDK and by the
// `temporal` CLI, and even decrypted with the tenant's key), every Postgres table but the sealed pii_vault, and
// the worker's logs hold none of them. Through
// the codec server, the Temporal CLI shows them masked, or real with `pii:read`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { Client as PgClient } from 'pg';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient } from '../../src/client';
import { createEncryptionCodec } from '../../src/codec/encryption-codec';
import { createKeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { createCodecServer } from '../../src/servers/codec-server';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { luhnComplete } from '../pii/corpus/generate';
import { historyText } from '../support/history-text';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, processExit, stsUrl, temporalCli, testConfig } from '../support/stack';

const config = testConfig();

/** A Visa-like card number that passes the Luhn check, grouped in fours as people write it. */
function luhnCard(): string {
  const card = luhnComplete(`4${randomInt(10 ** 13, 10 ** 14)}`);
  return `${card.slice(0, 4)} ${card.slice(4, 8)} ${card.slice(8, 12)} ${card.slice(12)}`;
}

const CANARY = {
  email: `canary.${randomBytes(6).toString('hex')}@example.org`,
  ssn: `${randomInt(101, 600)}-${randomInt(11, 99)}-${randomInt(1001, 9999)}`,
  card: luhnCard(),
  phone: `+1 415 555 01${randomInt(10, 99)}`,
};
/** Every planted value, also in the spellings a store might normalize it to. */
const NEEDLES = [...Object.values(CANARY), CANARY.email.split('@')[0]!, CANARY.ssn.replace(/-/g, ''), CANARY.card.replace(/ /g, ''), CANARY.phone.replace(/\D/g, '').slice(1)];

const DEFINITION = `
id: canary
version: 1
input: { type: object, required: [target], properties: { target: { type: string } } }
start: call
nodes:
  call:
    type: tool
    tool: http
    request:
      method: POST
      url: "{{ input.target }}/echo"
      body: { email: "{{ input.email }}", ssn: "{{ input.ssn }}", card: "{{ input.card }}", phone: "{{ input.phone }}" }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: nodes.call.output }
`;
const FAILING = `
id: canary-fail
version: 1
start: refuse
nodes:
  refuse: { type: fail, error: "'cannot onboard ' + input.email" }
`;

let tenant: TenantId;
let target: HttpTarget;
let worker: ChildProcess;
let workerLogs = '';
let client: StewardClient;
let codecServer: FastifyInstance;
let codecUrl: string;

beforeAll(async () => {
  tenant = await createTestTenant('canary');
  target = await startHttpTarget();
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (chunk) => (workerLogs += chunk));
  worker.stderr!.on('data', (chunk) => (workerLogs += chunk));
  client = await StewardClient.connect({ tenant });
  await client.register(DEFINITION);
  await client.register(FAILING);
  codecServer = createCodecServer({ config, corsOrigins: [] });
  codecUrl = await codecServer.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await codecServer?.close();
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
  await target?.close();
});

function expectNoCanary(text: string, where: string): void {
  for (const needle of NEEDLES) {
    if (text.includes(needle) || text.includes(Buffer.from(needle).toString('hex'))) throw new Error(`${where} holds the planted value ${needle}`);
  }
}

/**
 * Every payload of a history opened with the tenant's key but without the PII vault: what anyone holding the
 * encryption key (or Temporal, were it ever given the key) would read. Tokens only, never the values.
 */
async function decryptedHistoryText(history: unknown): Promise<string> {
  const payloads: Payload[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const candidate = node as Payload;
      if (candidate.data instanceof Uint8Array && candidate.metadata && typeof candidate.metadata === 'object') payloads.push(candidate);
      else Object.values(node).forEach(walk);
    }
  };
  walk(history);
  const pool = createPool(config.appDatabaseUrl, { max: 1 });
  const keys = createKeyringFactory(config, pool);
  try {
    const opened = await createEncryptionCodec({ keyring: keys.keyringFor(tenant), namespace: tenant }).decode(payloads);
    const encrypted = payloads.filter((payload) => Buffer.from(payload.metadata!.encoding ?? []).toString() === 'binary/encrypted').length;
    expect(encrypted).toBeGreaterThan(0);
    return opened.map((payload) => Buffer.from(payload.data ?? []).toString('utf8')).join('\n');
  } finally {
    keys.close();
    await pool.end();
  }
}

/** Every table of the test database, read as its owner (no row-level security), except the PII vault. */
async function databaseText(): Promise<string> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    );
    const names = tables.rows.map((row) => row.name);
    expect(names).toEqual(expect.arrayContaining(['runs', 'audit_events', 'definitions', 'pii_vault']));
    const dumps: string[] = [];
    for (const name of names.filter((table) => table !== 'pii_vault')) {
      dumps.push((await db.query(`SELECT t::text AS row FROM "${name}" t`)).rows.map((row) => row.row).join('\n'));
    }
    return dumps.join('\n');
  } finally {
    await db.end();
  }
}

test('the activities use the real values; history, every other table and the worker logs hold none of them', async () => {
  const run = await client.start({ workflow: 'canary', input: { target: target.url, ...CANARY } });
  const output = (await run.result()) as { received: typeof CANARY };
  // The tool step sent the real values, and the typed client reads them back decoded.
  expect(JSON.parse(target.requests.find((request) => request.path === '/echo')!.body)).toEqual(CANARY);
  expect(output.received).toEqual(CANARY);

  const failing = await client.start({ workflow: 'canary-fail', input: { email: CANARY.email } });
  await expect(failing.result()).rejects.toMatchObject({ cause: { message: `cannot onboard ${CANARY.email}` } });

  const plain = new Client({ connection: await Connection.connect(loadConnectionOptions(config.localTemporalAddress)), namespace: tenant });
  try {
    for (const workflowId of [run.workflowId, failing.workflowId]) {
      const history = await plain.workflow.getHandle(workflowId).fetchHistory();
      expectNoCanary(historyText(history), `the SDK's raw history of ${workflowId}`);
      const decrypted = await decryptedHistoryText(history);
      expect(decrypted).toMatch(/\[pii:email:tok_/);
      expectNoCanary(decrypted, `the decrypted history of ${workflowId}`);
      const shown = await temporalCli(['workflow', 'show', '--namespace', tenant, '--workflow-id', workflowId, '--output', 'json']);
      expect(shown.code).toBe(0);
      expectNoCanary(historyText(JSON.parse(shown.stdout)), `temporal workflow show ${workflowId}`);
    }
  } finally {
    await plain.connection.close();
  }

  expectNoCanary(await databaseText(), 'Postgres');
  const vault = new PgClient({ connectionString: config.databaseUrl });
  await vault.connect();
  const entries = await vault.query(`SELECT type FROM pii_vault WHERE tenant_id = $1`, [tenant]).finally(() => vault.end());
  // Every planted type was tokenized. Other values may be too (an IP address, say): the detectors scan every payload.
  expect([...new Set(entries.rows.map((row) => row.type))]).toEqual(expect.arrayContaining(['email', 'ssn', 'credit_card', 'phone']));

  expect(workerLogs).toContain('worker started');
  expectNoCanary(workerLogs, 'the worker logs');
});

test('the Temporal CLI through the codec server: masked for a viewer, real values with pii:read, refused without a token', async () => {
  const run = await client.start({ workflow: 'canary', input: { target: target.url, ...CANARY } });
  await run.result();
  const show = (auth?: string) =>
    temporalCli([
      'workflow', 'show', '--namespace', tenant, '--workflow-id', run.workflowId, '--output', 'json', '--codec-endpoint', codecUrl,
      ...(auth ? ['--codec-auth', auth] : []),
    ]);
  const mint = async (scopes: string[]) => (await mintDevToken(stsUrl(), { user: 'carol', tenant, scopes })).accessToken;

  const masked = await show(`Bearer ${await mint(['expenses:read'])}`);
  expect(masked.code).toBe(0);
  const maskedText = historyText(JSON.parse(masked.stdout));
  expectNoCanary(maskedText, 'the masked view');
  expect(maskedText).toContain(`***-**-${CANARY.ssn.slice(-4)}`);
  expect(maskedText).toContain(`c***@example.org`);

  const revealed = await show(`Bearer ${await mint(['pii:read'])}`);
  expect(revealed.code).toBe(0);
  expect(historyText(JSON.parse(revealed.stdout))).toContain(CANARY.email);

  const refused = await show();
  expect(refused.code).not.toBe(0);
});

// A run whose data policy names a field (`pii_fields`) and a custom detector, end to end with a real worker: the
// name and the custom find reach history as tokens (raw history and history decrypted with the tenant's key hold
// neither), the run itself sees the real values, and through the codec server the Temporal CLI shows them masked
// to a viewer without `pii:read` and in clear to one with it.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { mintDevToken } from '../../dev-server/sts';
import { StewardClient } from '../../src/client';
import { createEncryptionCodec } from '../../src/codec/encryption-codec';
import { createKeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import { maskValue } from '../../src/pii/mask';
import { createCodecServer } from '../../src/servers/codec-server';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, stsUrl, temporalCli, testConfig, type RunningWorker } from '../support/stack';

const config = testConfig();
const NAME = `Ada ${randomBytes(3).toString('hex')} Lovelace`;
const BADGE = `EMP-${String(100_000 + (randomBytes(3).readUIntBE(0, 3) % 900_000))}`;
const INPUT = { applicant: NAME, note: `badge ${BADGE} at the front desk` };

const DEFINITION = `
id: onboarding
version: 1
input: { type: object, required: [applicant], properties: { applicant: { type: string }, note: { type: string } } }
data_policy:
  pii_fields: ["$.applicant"]
  custom_detectors: [{ name: employee_id, pattern: 'EMP-\\d{6}' }]
start: done
nodes:
  done: { type: end, output: input }
`;

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let codecServer: FastifyInstance;
let codecUrl: string;

beforeAll(async () => {
  tenant = await createTestTenant('piifields');
  worker = await startTenantWorker(tenant);
  client = await StewardClient.connect({ tenant });
  await client.register(DEFINITION);
  codecServer = createCodecServer({ config, corsOrigins: [] });
  codecUrl = await codecServer.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await codecServer?.close();
  await client?.close();
  await worker?.stop();
});

/** Every payload of a history opened with the tenant's key but not the PII vault: tokens only, never the values. */
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
    return opened.map((payload) => Buffer.from(payload.data ?? []).toString('utf8')).join('\n');
  } finally {
    keys.close();
    await pool.end();
  }
}

test('a pii_fields name and a custom find: tokens in history, real values in the run, masked or clear through the codec server by scope', async () => {
  const run = await client.start({ workflow: 'onboarding', input: INPUT });
  expect(await run.result()).toEqual(INPUT);

  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  try {
    const history = await new Client({ connection, namespace: tenant }).workflow.getHandle(run.workflowId).fetchHistory();
    const raw = historyText(history);
    const decrypted = await decryptedHistoryText(history);
    for (const [where, text] of [['raw history', raw], ['decrypted history', decrypted]] as const) {
      expect({ where, holdsName: text.includes(NAME), holdsBadge: text.includes(BADGE) }).toEqual({ where, holdsName: false, holdsBadge: false });
    }
    expect(decrypted).toMatch(/"applicant":"\[pii:field:tok_[\w-]+\]"/);
    expect(decrypted).toMatch(/badge \[pii:employee_id:tok_[\w-]+\] at the front desk/);
  } finally {
    await connection.close();
  }

  const show = async (scopes: string[]) => {
    const bearer = (await mintDevToken(stsUrl(), { user: 'carol', tenant, scopes })).accessToken;
    const shown = await temporalCli([
      'workflow', 'show', '--namespace', tenant, '--workflow-id', run.workflowId, '--output', 'json', '--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${bearer}`,
    ]);
    expect(shown.code).toBe(0);
    return historyText(JSON.parse(shown.stdout));
  };
  const masked = await show(['expenses:read']);
  expect(masked).not.toContain(NAME);
  expect(masked).not.toContain(BADGE);
  expect(masked).toContain(maskValue('field', NAME));
  expect(masked).toContain(`badge ${maskValue('employee_id', BADGE)} at the front desk`);

  const revealed = await show(['pii:read']);
  expect(revealed).toContain(NAME);
  expect(revealed).toContain(`badge ${BADGE} at the front desk`);
});

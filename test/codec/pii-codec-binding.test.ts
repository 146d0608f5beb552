// What a PII token list is bound to, from an attacker's side, over the real vault, keyring and Temporal: a payload
// written for one workflow restores only there. Copied whole into another run (its history, its decoding context)
// it fails clearly instead of handing that run the first one's values; lists written before the binding still read.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec, PII_METADATA_KEY } from '../../src/codec/pii-codec';
import { createPiiCodecFactory } from '../../src/codec/pii-codec-factory';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import { loadConnectionOptions, TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, testConfig, waitForHistoryEvent, type RunningWorker } from '../support/stack';

const config = testConfig();
const EMAIL = `bound.${randomUUID().slice(0, 8)}@example.org`;
let tenant: TenantId;
let app: Pool;
let keys: KeyringFactory;

const inWorkflow = (workflowId: string): SerializationContext => ({ type: 'workflow', namespace: tenant, workflowId });
const piiCodec = (): PayloadCodec => createPiiCodec({ vault: createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 }), namespace: tenant });
const listOf = (payload: Payload) => JSON.parse(Buffer.from(payload.metadata![PII_METADATA_KEY]!).toString('utf8')) as Record<string, unknown>;
const withList = (payload: Payload, list: unknown): Payload => ({ ...payload, metadata: { ...payload.metadata, [PII_METADATA_KEY]: Buffer.from(JSON.stringify(list)) } });

beforeAll(async () => {
  tenant = await createTestTenant('piibind');
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
});

test('a payload written for workflow A restores in A, fails clearly in B, and restores where no workflow is named', async () => {
  const [encoded] = await piiCodec().encode([defaultPayloadConverter.toPayload({ contact: EMAIL })], inWorkflow('run-a'));
  expect(listOf(encoded!)).toMatchObject({ v: 2, run: 'run-a' });

  expect(defaultPayloadConverter.fromPayload((await piiCodec().decode([encoded!], inWorkflow('run-a')))[0]!)).toEqual({ contact: EMAIL });
  const elsewhere = piiCodec().decode([encoded!], inWorkflow('run-b'));
  await expect(elsewhere).rejects.toThrow(`pii codec: payloads[0] was written for workflow "run-a", not "run-b"`);
  await expect(elsewhere).rejects.toMatchObject({ code: 'TOKENIZER_FAILED' });
  // An activity of B decodes in B's name too.
  await expect(piiCodec().decode([encoded!], { type: 'activity', namespace: tenant, workflowId: 'run-b', isLocal: false })).rejects.toThrow(/not "run-b"/);
  // A schedule's runs are named after its action's workflow id and the start time; a look-alike id is not one.
  expect(defaultPayloadConverter.fromPayload((await piiCodec().decode([encoded!], inWorkflow('run-a-2026-12-05T18:00:00Z')))[0]!)).toEqual({ contact: EMAIL });
  await expect(piiCodec().decode([encoded!], inWorkflow('run-a-copy'))).rejects.toThrow(/not "run-a-copy"/);
  // The codec server and clients decode without a workflow: the viewer is already checked against the namespace.
  expect(defaultPayloadConverter.fromPayload((await piiCodec().decode([encoded!]))[0]!)).toEqual({ contact: EMAIL });
});

test('rebinding or stripping the binding breaks the MAC; a list written before the binding (format 1) still restores', async () => {
  const [encoded] = await piiCodec().encode([defaultPayloadConverter.toPayload({ contact: EMAIL })], inWorkflow('run-a'));
  const { v: _v, run: _run, ...stripped } = listOf(encoded!);
  for (const forged of [{ ...listOf(encoded!), run: 'run-b' }, { ...listOf(encoded!), run: null }, stripped]) {
    await expect(piiCodec().decode([withList(encoded!, forged)], inWorkflow('run-b'))).rejects.toThrow(/does not verify under tenant/);
  }

  // Format 1, as the codec wrote it before: a MAC over [tokens, numbers] and the data, no binding.
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 });
  const { tokens, numbers } = listOf(encoded!) as { tokens: string[]; numbers: string[] };
  const legacy = withList(encoded!, { tokens, numbers, mac: vault.tagTokenList(JSON.stringify([tokens, numbers]), encoded!.data!) });
  expect(defaultPayloadConverter.fromPayload((await piiCodec().decode([legacy], inWorkflow('run-b')))[0]!)).toEqual({ contact: EMAIL });
});

describe('with a worker', () => {
  let worker: RunningWorker;
  let client: StewardClient;
  let connection: Connection;
  beforeAll(async () => {
    worker = await startTenantWorker(tenant);
    client = await StewardClient.connect({ tenant });
    await client.register(`
id: echo-bound
version: 1
input: { type: object, properties: { contact: { type: string } } }
start: done
nodes:
  done: { type: end, output: input }
`);
    connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  });
  afterAll(async () => {
    await connection?.close();
    await client?.close();
    await worker?.stop();
  });

  test("run A's recorded input, copied raw into run B's start, never restores in B; it still decodes as A's", async () => {
    const runA = await client.start({ workflow: 'echo-bound', input: { contact: EMAIL } });
    expect(await runA.result()).toEqual({ contact: EMAIL });
    const raw = new Client({ connection, namespace: tenant });
    const historyA = await raw.workflow.getHandle(runA.workflowId).fetchHistory();
    expect(historyText(historyA)).not.toContain(EMAIL);
    const input = historyA.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads! as temporal.api.common.v1.IPayload[];

    // The attacker writes A's payload bytes, as they are, into a run of their own through the raw API.
    const workflowIdB = `copied-${randomUUID()}`;
    await connection.workflowService.startWorkflowExecution({
      namespace: tenant,
      workflowId: workflowIdB,
      workflowType: { name: 'agentWorkflow' },
      taskQueue: { name: TASK_QUEUE },
      input: { payloads: input },
      requestId: randomUUID(),
    });
    const runB = raw.workflow.getHandle(workflowIdB);
    try {
      await waitForHistoryEvent(runB, (event) => event.workflowTaskFailedEventAttributes != null);
      const historyB = await runB.fetchHistory();
      expect(historyB.events!.some((event) => event.workflowTaskCompletedEventAttributes != null)).toBe(false);
      expect(historyText(historyB)).not.toContain(EMAIL);
    } finally {
      await runB.terminate('test over');
    }

    // The same bytes decode in A's context, through the production converter.
    const converter = createTenantDataConverter({ keyring: keys.keyringFor(tenant), namespace: tenant, piiCodec: createPiiCodecFactory(config, app).codecFor(keys.keyringFor(tenant), tenant) });
    const [codec] = converter.payloadCodecs!;
    const asA = await codec!.decode(input as Payload[], inWorkflow(runA.workflowId));
    expect(defaultPayloadConverter.fromPayload(asA[0]!)).toMatchObject({ input: { contact: EMAIL } });
    await expect(codec!.decode(input as Payload[], inWorkflow(workflowIdB))).rejects.toThrow(/was written for workflow/);
  });
});

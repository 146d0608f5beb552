// Workflow ids holding PII, from the attacker's side on the real stack: the client refuses them however they are
// encoded, and a raw `temporal workflow start` around the client fails as it begins, with a typed non-retryable
// failure and a security event. Temporal keeps the id itself (its key, never encrypted); nothing else in history
// carries it.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { StewardClient } from '../../src/client';
import { TASK_QUEUE } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, startTenantWorker, temporalCli, type RunningWorker } from '../support/stack';

const CARD = '4111111111111111';
let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;

beforeAll(async () => {
  tenant = await createTestTenant('wfid-pii');
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
  await client.register(`
id: plain
version: 1
start: done
nodes:
  done: { type: end, output: "'done'" }
`);
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
});

test.each([
  ['a Luhn-valid card glued after a word', `order-${CARD}`, 'credit_card'],
  ['a percent-encoded email', 'jane%40example.com', 'email'],
  ['a twice percent-encoded email', 'invoice-jane%2540example.com', 'email'],
  ['a full-width email', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'email'],
])('the client refuses an id holding %s, naming the kind and never the id; nothing starts', async (_what, workflowId, kind) => {
  const refusal = await client.start({ workflow: 'plain', input: {}, workflowId }).catch((error: unknown) => error);
  expect(refusal).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(new RegExp(`^workflowId: holds what looks like PII \\(${kind}\\)`)) });
  const message = (refusal as Error).message;
  for (const fragment of [workflowId, CARD, 'jane', 'example']) expect(message).not.toContain(fragment);
  await expect(client.getRun(workflowId)).rejects.toThrow(/not found/i);
});

test('an ordinary id and a generated one still start and complete', async () => {
  expect(await (await client.start({ workflow: 'plain', input: {}, workflowId: 'order-2024-000123' })).result()).toBe('done');
  expect(await (await client.start({ workflow: 'plain', input: {} })).result()).toBe('done');
});

test('a raw `temporal workflow start` under an id holding a card fails with PII_IN_WORKFLOW_ID, is audited, and history holds the card only as the id', async () => {
  const workflowId = `order-${CARD}`;
  const started = await temporalCli([
    'workflow', 'start', '--namespace', tenant, '--type', 'agentWorkflow', '--task-queue', TASK_QUEUE, '--workflow-id', workflowId,
    '--input', JSON.stringify({ workflow: 'plain', input: {} }),
  ]);
  expect(started.code).toBe(0);
  const run = await client.getRun(workflowId);
  const failure = await run.result().catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause).toMatchObject({ type: 'PII_IN_WORKFLOW_ID', nonRetryable: true, message: expect.stringContaining('credit_card') });
  expect((cause as Error).message).not.toContain(CARD);

  const { runId } = await run.describe();
  const events = (await client.listAuditEvents({ limit: 1000 })).filter((event) => event.type === 'security.pii_in_workflow_id');
  expect(events).toEqual([expect.objectContaining({ runId, payload: { kinds: ['credit_card'], outcome: 'run refused' } })]);
  expect(JSON.stringify(events)).not.toContain(CARD);
  // refused before anything was recorded for the run
  expect((await client.listAuditEvents({ workflowId })).length).toBe(0);

  // Temporal keeps the workflow id as the execution's key, in clear, wherever the history names the execution;
  // with every occurrence of the id taken out, the card is nowhere else.
  const history = historyText(await run.fetchHistory());
  expect(history).toContain(workflowId);
  expect(history.split(workflowId).join('')).not.toContain(CARD);
});

// StewardStatus on closed runs: the documented filters (`completed`, `failed`, `cancelled`) find them.
import { Client, Connection } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, testConfig, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
beforeAll(async () => {
  tenant = await createTestTenant('closing-status');
  worker = await startTenantWorker(tenant);
});
afterAll(async () => {
  await worker?.stop();
});

const DEFINITION = `
id: closing
version: 1
start: route
nodes:
  route:
    type: condition
    branches: [{ when: "input.outcome == 'fail'", next: broken }, { when: "input.outcome == 'wait'", next: pause }]
    default: done
  pause: { type: wait, duration: 1h, next: done }
  broken: { type: fail, error: "'asked to fail'" }
  done: { type: end, output: "'ok'" }
`;

test('a completed, a failed and a cancelled run are found by StewardStatus', async () => {
  const client = await StewardClient.connect({ tenant });
  const connection = await Connection.connect(loadConnectionOptions(testConfig().localTemporalAddress));
  const temporal = new Client({ connection, namespace: client.namespace });
  try {
    await client.register(DEFINITION);
    const completed = await client.start({ workflow: 'closing', input: { outcome: 'ok' } });
    const failed = await client.start({ workflow: 'closing', input: { outcome: 'fail' } });
    const cancelled = await client.start({ workflow: 'closing', input: { outcome: 'wait' } });
    await completed.result();
    await expect(failed.result()).rejects.toThrow();
    const handle = temporal.workflow.getHandle(cancelled.workflowId);
    const deadline = Date.now() + 30_000;
    while ((await handle.describe()).searchAttributes.StewardStatus?.[0] !== 'waiting' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();

    const found = async (status: string) => {
      const ids: string[] = [];
      for await (const execution of temporal.workflow.list({ query: `StewardStatus = '${status}'` })) ids.push(execution.workflowId);
      return ids;
    };
    const expected = { completed: completed.workflowId, failed: failed.workflowId, cancelled: cancelled.workflowId };
    const until = Date.now() + 20_000;
    for (const [status, workflowId] of Object.entries(expected)) {
      // Visibility is eventually consistent: the attribute shows a moment after the run closes.
      while (!(await found(status)).includes(workflowId) && Date.now() < until) await new Promise((r) => setTimeout(r, 300));
      expect(await found(status)).toContain(workflowId);
    }
    expect(await found('running')).toEqual([]);
  } finally {
    await connection.close();
    await client.close();
  }
});

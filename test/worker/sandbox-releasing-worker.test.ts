// A Worker whose creation fails (here: its namespace does not exist) must not leave its workflow sandbox thread
// behind: the supervisor retries such a tenant on every refresh, and each leaked thread holds tens of MiB and keeps
// the process from ever exiting.
import { readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { SandboxReleasingWorker } from '../../src/worker/sandbox-releasing-worker';
import { testConfig } from '../support/stack';

const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

async function threadsLeftByFailedCreations(workerClass: typeof Worker, attempts: number): Promise<number> {
  const connection = await NativeConnection.connect(loadConnectionOptions(testConfig().localTemporalAddress));
  const workflowBundle = await createWorkflowBundle();
  const attempt = () => workerClass.create({ connection, namespace: `no-such-namespace-${Date.now()}`, taskQueue: 'sandbox-test', workflowBundle });
  try {
    // The first attempt starts the threads a process keeps anyway (the runtime's, libuv's pool).
    await expect(attempt()).rejects.toThrow(/namespace/i);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = threads();
    for (let i = 0; i < attempts; i++) await expect(attempt()).rejects.toThrow(/namespace/i);
    // A destroyed sandbox's thread exits a moment later (longer on a loaded machine); a leaked one never does.
    const deadline = Date.now() + 15_000;
    while (threads() - before >= 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    return threads() - before;
  } finally {
    await connection.close();
  }
}

test('failed creations leave no sandbox thread behind', async () => {
  expect(await threadsLeftByFailedCreations(SandboxReleasingWorker, 3)).toBeLessThan(2);
});

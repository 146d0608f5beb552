// SIGTERM stops a worker within STEWARD_WORKER_STOP_TIMEOUT_MS even when stopping cannot finish: here its
// connection to Temporal is frozen (a network partition), so its pollers never return.
import { spawn } from 'node:child_process';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';
import { startTcpProxy } from '../support/tcp-proxy';

let tenant: TenantId;
beforeAll(async () => {
  tenant = await createTestTenant('sigterm');
});

test('a worker whose Temporal connection hangs exits within its stop timeout of SIGTERM', async () => {
  const [host, port] = testConfig().localTemporalAddress!.split(':');
  const temporal = await startTcpProxy({ host, port: Number(port) });
  const worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], {
    env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`, STEWARD_WORKER_STOP_TIMEOUT_MS: '4000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  worker.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => worker.once('exit', (code) => resolve({ code, at: Date.now() })));
  try {
    const deadline = Date.now() + 90_000;
    while (!stderr.includes('"worker started"')) {
      if (Date.now() > deadline || worker.exitCode !== null) throw new Error(`the worker never started:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    temporal.freeze();
    const signalledAt = Date.now();
    worker.kill('SIGTERM');
    const outcome = await Promise.race([exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000))]);
    expect(outcome).toBeDefined();
    // 4 s of stop timeout, plus the time a loaded machine takes to exit.
    expect(outcome!.at - signalledAt).toBeLessThan(12_000);
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await temporal.close();
  }
});

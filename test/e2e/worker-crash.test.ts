// Durability: a worker killed with SIGKILL mid-run, then restarted, completes the run once, no step repeated.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { STEWARD_BIN } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';
import type { TenantId } from '../../src/tenancy/tenant-id';

let tenant: TenantId;
beforeAll(async () => {
  tenant = await createTestTenant('crash');
});

function startWorkerProcess(): ChildProcess {
  return spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

test('a worker SIGKILLed while the run waits on a timer is replaced and the run completes exactly once', async () => {
  const client = await StewardClient.connect({ tenant });
  const connection = await Connection.connect(loadConnectionOptions(testConfig().localTemporalAddress));
  const temporal = new Client({ connection, namespace: client.namespace });
  try {
    await client.register(readFileSync('test/fixtures/pausing-hello.yaml', 'utf8'));
    const first = startWorkerProcess();
    const run = await client.start<string>({ workflow: 'pausing-hello', input: {} });
    const handle = temporal.workflow.getHandle(run.workflowId);

    // Kill the worker only once the run has really started: its timer is recorded in history.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const events = (await handle.fetchHistory()).events ?? [];
      if (events.some((event) => event.timerStartedEventAttributes)) break;
      if (Date.now() > deadline) throw new Error('the run never reached its timer');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');

    const second = startWorkerProcess();
    try {
      expect(await run.result()).toBe('set before the crash, finished after it');
    } finally {
      second.kill('SIGTERM');
    }
    expect(await exited(second)).toEqual({ code: 0, signal: null });

    const events = (await handle.fetchHistory()).events ?? [];
    const count = (key: keyof (typeof events)[number]) => events.filter((event) => event[key]).length;
    // The definition was loaded once (a local activity, recorded as a marker), and no step ran twice.
    const localActivities = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(localActivities).toHaveLength(1);
    expect(count('activityTaskScheduledEventAttributes')).toBe(0);
    expect(count('timerStartedEventAttributes')).toBe(1);
    expect(count('workflowExecutionCompletedEventAttributes')).toBe(1);
  } finally {
    await connection.close();
    await client.close();
  }
});

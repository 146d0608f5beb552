// The lease rules of the shared workflow sandbox: built once for many leases, destroyed with the last, rebuilt after
// its thread died, a failed build handed to no one, and a released lease's leftover workflows disposed.
import { UnexpectedError } from '@temporalio/worker';
import { SharedWorkflowSandbox, type WorkflowSandbox } from '../../../src/worker/shared-workflow-sandbox';

interface RecordedWorkflow {
  readonly runId: string;
  readonly sandbox: number;
  disposals: number;
  dispose(): Promise<void>;
}

interface RecordingSandbox extends WorkflowSandbox<string, RecordedWorkflow> {
  dead: boolean;
  destroyed: number;
}

/** A sandbox that records what happens to it; `dead` makes it fail as the SDK's does once its thread has exited. */
function recordingSandbox(built: RecordingSandbox[]) {
  return async (): Promise<RecordingSandbox> => {
    const sandbox: RecordingSandbox = {
      dead: false,
      destroyed: 0,
      createWorkflow: async (runId) => {
        if (sandbox.dead) throw new UnexpectedError('Received request after worker thread exited');
        const workflow: RecordedWorkflow = { runId, sandbox: built.indexOf(sandbox), disposals: 0, dispose: async () => void workflow.disposals++ };
        return workflow;
      },
      destroy: async () => void sandbox.destroyed++,
    };
    built.push(sandbox);
    return sandbox;
  };
}

const where = (workflow: RecordedWorkflow) => `${workflow.runId} in sandbox ${workflow.sandbox}`;

test('many leases share one sandbox, destroyed once when the last is released', async () => {
  const built: RecordingSandbox[] = [];
  let unused = 0;
  const shared = new SharedWorkflowSandbox(recordingSandbox(built), () => unused++);
  const leases = await Promise.all([shared.lease(), shared.lease(), shared.lease()]);
  const workflows = await Promise.all(leases.map((lease, i) => lease.createWorkflow(`run-${i}`)));
  expect(workflows.map(where)).toEqual(['run-0 in sandbox 0', 'run-1 in sandbox 0', 'run-2 in sandbox 0']);
  expect(built).toHaveLength(1);

  await leases[0]!.destroy();
  await leases[0]!.destroy(); // a second release of the same lease counts once
  await leases[1]!.destroy();
  expect(built[0]!.destroyed).toBe(0);
  expect(where(await leases[2]!.createWorkflow('run-3'))).toBe('run-3 in sandbox 0');
  await leases[2]!.destroy();
  expect(built[0]!.destroyed).toBe(1);
  expect(unused).toBe(1);
  expect(shared.leaseCount).toBe(0);
});

test('a released lease disposes the workflows its Worker left, once each, and no other lease\'s', async () => {
  const shared = new SharedWorkflowSandbox(recordingSandbox([]));
  const [failing, other] = await Promise.all([shared.lease(), shared.lease()]);
  const evicted = await failing!.createWorkflow('run-1');
  const leftBehind = await failing!.createWorkflow('run-2');
  const others = await other!.createWorkflow('run-3');
  await evicted.dispose(); // the Worker evicted this one itself
  await failing!.destroy();
  expect([evicted.disposals, leftBehind.disposals, others.disposals]).toEqual([1, 1, 0]);
  // what the Worker sees still works as the workflow it was given
  expect(where(others)).toBe('run-3 in sandbox 0');
});

test('after its thread died, the next workflow is created in a new sandbox', async () => {
  const built: RecordingSandbox[] = [];
  const shared = new SharedWorkflowSandbox(recordingSandbox(built));
  const [a, b] = await Promise.all([shared.lease(), shared.lease()]);
  built[0]!.dead = true;
  await expect(a!.createWorkflow('run-1')).rejects.toBeInstanceOf(UnexpectedError);
  expect(built[0]!.destroyed).toBe(1);
  expect(where(await b!.createWorkflow('run-2'))).toBe('run-2 in sandbox 1');
  expect(where(await a!.createWorkflow('run-1'))).toBe('run-1 in sandbox 1');
});

test('a workflow that fails for its own reasons leaves the sandbox in service', async () => {
  const built: RecordingSandbox[] = [];
  const shared = new SharedWorkflowSandbox(async () => {
    const sandbox = await recordingSandbox(built)();
    return { ...sandbox, createWorkflow: async () => Promise.reject(new TypeError('bad workflow options')) };
  });
  const lease = await shared.lease();
  await expect(lease.createWorkflow('run-1')).rejects.toThrow('bad workflow options');
  await expect(lease.createWorkflow('run-2')).rejects.toThrow('bad workflow options');
  expect(built).toHaveLength(1);
});

test('a build that fails fails its lease, holds no lease, and is tried again by the next', async () => {
  let attempts = 0;
  const built: RecordingSandbox[] = [];
  const shared = new SharedWorkflowSandbox(async () => {
    if (attempts++ === 0) throw new Error('bundle would not load');
    return recordingSandbox(built)();
  });
  await expect(shared.lease()).rejects.toThrow('bundle would not load');
  expect(shared.leaseCount).toBe(0);
  const lease = await shared.lease();
  expect(where(await lease.createWorkflow('run-1'))).toBe('run-1 in sandbox 0');
});

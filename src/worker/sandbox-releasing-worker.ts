// A Temporal Worker whose failed creation leaves nothing behind. Worker.create builds the workflow sandbox (a thread
// with its own V8 isolate, tens of MiB) before it registers the Worker with Core; when registration then fails (a
// namespace that does not exist yet, a server that does not answer) the SDK drops the sandbox without destroying it.
// Its thread lives on: every retry of such a tenant leaked one, and a process holding one can never exit.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker, type WorkerOptions } from '@temporalio/worker';

interface Sandbox {
  destroy(): Promise<void>;
}

/** The sandboxes built by the creation running in this async context. */
const sandboxesOfCreation = new AsyncLocalStorage<Sandbox[]>();

export class SandboxReleasingWorker extends Worker {
  static override async create(options: WorkerOptions): Promise<Worker> {
    const sandboxes: Sandbox[] = [];
    try {
      return await sandboxesOfCreation.run(sandboxes, () => super.create(options));
    } catch (error) {
      await Promise.all(sandboxes.map((sandbox) => sandbox.destroy().catch(() => undefined)));
      throw error;
    }
  }

  // The SDK's own hook for building the sandbox (protected, called on the class create() ran on).
  protected static override async createWorkflowCreator(...args: Parameters<typeof Worker.createWorkflowCreator>): ReturnType<typeof Worker.createWorkflowCreator> {
    const sandbox = await super.createWorkflowCreator(...args);
    sandboxesOfCreation.getStore()?.push(sandbox);
    return sandbox;
  }
}

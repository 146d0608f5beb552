// A Temporal Worker that runs its workflows in the process's shared sandbox (see shared-workflow-sandbox.ts) and
// whose failed creation leaves nothing behind. Worker.create builds the sandbox before it registers the Worker with
// Core; when registration then fails (a namespace that does not exist yet, a server that does not answer) the SDK
// drops the sandbox without destroying it, so every retry of such a tenant held a thread that kept the process alive.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker, type CompiledWorkerOptions, type WorkerOptions } from '@temporalio/worker';
import { SharedWorkflowSandbox, type WorkflowSandbox } from './shared-workflow-sandbox';

/** What the SDK passes its sandbox hook: the bundle, then the Worker's compiled options. */
type CreatorArguments = [bundle: { code: string }, options: CompiledWorkerOptions, ...rest: unknown[]];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the sandbox's option and workflow types are the SDK's, not exported
type Shared = SharedWorkflowSandbox<any, any>;

/** The sandboxes built or leased by the creation running in this async context. */
const sandboxesOfCreation = new AsyncLocalStorage<WorkflowSandbox<never, unknown>[]>();

/** The shared sandboxes by bundle code, then by the options a sandbox is built with. */
const sharedSandboxes = new Map<string, Map<string, Shared>>();

/** The options that shape a sandbox: Workers that agree on them and on the bundle can share one. */
function sandboxShape([, options]: CreatorArguments): string | undefined {
  // a debug sandbox runs in the main thread for a debugger; a patch callback belongs to one Worker
  if (options.debugMode || options.patchActivationCallback !== undefined) return undefined;
  return JSON.stringify([options.workflowThreadPoolSize, options.isolateExecutionTimeoutMs, options.reuseV8Context ?? true, [...options.activities.keys()].sort()]);
}

function sharedSandboxFor(args: CreatorArguments, shape: string, build: Shared['build']): Shared {
  const code = args[0].code;
  let byShape = sharedSandboxes.get(code);
  if (byShape === undefined) sharedSandboxes.set(code, (byShape = new Map()));
  let shared = byShape.get(shape);
  if (shared === undefined) {
    shared = new SharedWorkflowSandbox(build, () => {
      byShape.delete(shape);
      if (byShape.size === 0) sharedSandboxes.delete(code);
    });
    byShape.set(shape, shared);
  }
  return shared;
}

export class SandboxReleasingWorker extends Worker {
  static override async create(options: WorkerOptions): Promise<Worker> {
    const sandboxes: WorkflowSandbox<never, unknown>[] = [];
    try {
      return await sandboxesOfCreation.run(sandboxes, () => super.create(options));
    } catch (error) {
      await Promise.all(sandboxes.map((sandbox) => sandbox.destroy().catch(() => undefined)));
      throw error;
    }
  }

  // The SDK's own hook for building the sandbox (protected, called on the class create() ran on).
  protected static override async createWorkflowCreator(...args: Parameters<typeof Worker.createWorkflowCreator>): ReturnType<typeof Worker.createWorkflowCreator> {
    const shape = sandboxShape(args);
    const build = () => super.createWorkflowCreator(...args);
    const sandbox = shape === undefined ? await build() : await sharedSandboxFor(args, shape, build).lease();
    sandboxesOfCreation.getStore()?.push(sandbox);
    return sandbox;
  }
}

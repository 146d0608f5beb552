// One workflow sandbox for every tenant Worker in a process. A sandbox is a pool of threads, each a V8 isolate with
// the workflow bundle loaded: tens of MiB. Built per Worker, a replica with 20 busy tenants held 20 of them (about
// 100 MiB a busy tenant); shared, it holds one however many tenants are busy.
//
// What tenants share there is the interpreter's code, which is Steward's own: a tenant's definitions and data reach
// it only as a run's input and history, and each run gets its own workflow globals (the SDK's reusable context,
// which already separates the runs of one namespace). Runs are told apart by their run id, a UUID the server makes.
import { UnexpectedError } from '@temporalio/worker';

/** What the SDK's Worker asks of a workflow sandbox (its `WorkflowCreator`, which the package does not export). */
export interface WorkflowSandbox<Options, Workflow> {
  createWorkflow(options: Options): Promise<Workflow>;
  destroy(): Promise<void>;
}

/** What a sandbox's workflow must offer here: a way to be let go of. */
export interface DisposableWorkflow {
  dispose(): Promise<void>;
}

/** `workflow` as its Worker sees it: disposing it also takes it off `live`. */
function tracked<Workflow extends DisposableWorkflow>(workflow: Workflow, live: Set<DisposableWorkflow>): Workflow {
  // the view inherits every other method (and the state they use) from the workflow itself
  const view = Object.create(workflow) as Workflow;
  view.dispose = async () => {
    live.delete(view);
    await workflow.dispose();
  };
  live.add(view);
  return view;
}

/**
 * A sandbox that many Workers lease. It is built on the first lease and destroyed when the last is released. A
 * released lease disposes the workflows it created that its Worker left behind (a Worker that failed does not evict
 * its runs first): destroying a sandbox of its own did that for it. When one of the sandbox's threads dies (the SDK
 * then fails every request to it), the next workflow created gets a new sandbox, so runs evicted from the dead one
 * are rebuilt there rather than failing for good.
 */
export class SharedWorkflowSandbox<Options, Workflow extends DisposableWorkflow> {
  private current: Promise<WorkflowSandbox<Options, Workflow>> | undefined;
  private leases = 0;

  constructor(
    readonly build: () => Promise<WorkflowSandbox<Options, Workflow>>,
    private readonly onUnused: () => void = () => undefined,
  ) {}

  /** A lease that behaves as a sandbox of its own; destroying it releases it. Resolves once the sandbox is ready. */
  async lease(): Promise<WorkflowSandbox<Options, Workflow>> {
    this.leases++;
    let released = false;
    const live = new Set<DisposableWorkflow>();
    const lease: WorkflowSandbox<Options, Workflow> = {
      createWorkflow: async (options) => tracked(await this.createWorkflow(options), live),
      destroy: async () => {
        if (released) return;
        released = true;
        await Promise.all([...live].map((workflow) => workflow.dispose().catch(() => undefined)));
        if (--this.leases === 0) await this.close();
      },
    };
    try {
      await this.sandbox();
    } catch (error) {
      await lease.destroy();
      throw error;
    }
    return lease;
  }

  /** How many leases are held. */
  get leaseCount(): number {
    return this.leases;
  }

  private sandbox(): Promise<WorkflowSandbox<Options, Workflow>> {
    if (this.current === undefined) {
      const building = this.build();
      this.current = building;
      // a build that failed is tried again by the next caller, not handed out
      building.catch(() => {
        if (this.current === building) this.current = undefined;
      });
    }
    return this.current;
  }

  private async createWorkflow(options: Options): Promise<Workflow> {
    const pending = this.sandbox();
    const sandbox = await pending;
    try {
      return await sandbox.createWorkflow(options);
    } catch (error) {
      if (error instanceof UnexpectedError && this.current === pending) {
        this.current = undefined;
        await sandbox.destroy().catch(() => undefined);
      }
      throw error;
    }
  }

  private async close(): Promise<void> {
    const closing = this.current;
    this.current = undefined;
    this.onUnused();
    if (closing !== undefined) await (await closing.catch(() => undefined))?.destroy();
  }
}

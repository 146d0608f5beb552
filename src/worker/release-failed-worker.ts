// Lets Core release a Worker that failed. When a Worker's task pipeline fails, the SDK finalizes it without having
// asked Core to shut it down first: Core refuses ("Worker still in use": its pollers still hold it), yet the handle
// is gone, so the Worker stays registered with pollers running. The tenant's next Worker on the same connection is
// then refused as overlapping, and the orphaned pollers may take tasks nobody processes. This makes a failed Worker's
// finalization shut it down first and wait for its polls to return, as an orderly shutdown would.
import type { Worker } from '@temporalio/worker';
import type { Logger } from '../log/logger';

/** The parts of the SDK's native worker this needs; not in its public types, hence checked before use. */
interface NativeWorkerHandle {
  initiateShutdown(): void;
  finalizeShutdown(): Promise<void>;
}

/** How long a failed Worker's outstanding polls get to return once Core is shutting it down. */
const POLLS_RETURN_MS = 1_500;

export function releaseWorkerOnFailure(worker: Worker, log: Pick<Logger, 'warn'>): void {
  const native = (worker as unknown as { nativeWorker?: Partial<NativeWorkerHandle> }).nativeWorker;
  if (typeof native?.initiateShutdown !== 'function' || typeof native.finalizeShutdown !== 'function') return;
  const initiate = native.initiateShutdown.bind(native);
  const finalize = native.finalizeShutdown.bind(native);
  native.finalizeShutdown = async () => {
    if (worker.getState() === 'FAILED') {
      try {
        initiate();
        await new Promise((resolve) => setTimeout(resolve, POLLS_RETURN_MS));
      } catch (error) {
        log.warn({ err: error }, 'could not shut the failed worker down before releasing it');
      }
    }
    return finalize();
  };
}

// Releases what a failed Worker leaves behind. When a Worker's task pipeline fails, the SDK finalizes it without
// having asked Core to shut it down first, so Core refuses to let go ("Activation processor channel not dropped")
// and keeps its pollers and its registration: the tenant's next Worker on the same connection is refused as
// overlapping, and the old pollers may still take tasks nobody processes. This asks Core to shut it down properly.
import type { Worker } from '@temporalio/worker';
import type { Logger } from '../log/logger';

/** The parts of the SDK's native worker this needs; not in its public types, hence checked before use. */
interface NativeWorkerHandle {
  initiateShutdown(): void;
  finalizeShutdown(): Promise<void>;
}

const RELEASE_TIMEOUT_MS = 5_000;

export async function releaseDeadWorker(worker: Worker, log: Pick<Logger, 'warn' | 'info'>): Promise<void> {
  const native = (worker as unknown as { nativeWorker?: Partial<NativeWorkerHandle> }).nativeWorker;
  if (typeof native?.initiateShutdown !== 'function' || typeof native.finalizeShutdown !== 'function') return;
  try {
    native.initiateShutdown();
  } catch {
    // Already shut down, or already released: nothing more to do.
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      native.finalizeShutdown(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), RELEASE_TIMEOUT_MS))),
    ]);
    log.info('released the failed worker');
  } catch (error) {
    log.warn({ err: error }, 'could not release the failed worker; its replacement gets a connection of its own');
  } finally {
    clearTimeout(timer);
  }
}

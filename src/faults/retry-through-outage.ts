// Holds on to work already paid for while a dependency is briefly down: a write that must follow it (the settlement of
// a model call the provider answered) is tried again until the dependency is back or the caller's time is up, rather
// than failing the step and making it pay again.
import { dependencyFaultOf } from './dependency-fault';

/** How long to pause between tries while the dependency is down. */
const OUTAGE_PAUSE_MS = 1_000;

/** Calls `work` until it no longer fails for a dependency's outage, or `until` aborts (then the last failure). */
export async function retryThroughOutage<T>(work: () => Promise<T>, until: AbortSignal, pauseMs = OUTAGE_PAUSE_MS): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (until.aborted || dependencyFaultOf(error) === undefined) throw error;
      await pauseUnless(until, pauseMs);
    }
  }
}

function pauseUnless(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

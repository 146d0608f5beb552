// Where a scrub happened — the run, the workflow and the step whose activity was running — carried through the
// activity's async work, so a `security.secret_scrubbed` event names it even when the leak is caught by the log
// formatter, far from the code that knows the step.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ScrubOrigin {
  run_id?: string;
  workflow_id?: string;
  step?: string;
}

const storage = new AsyncLocalStorage<ScrubOrigin>();

/** Runs `work` with `origin` as the place any scrub inside it is reported from. */
export function runWithScrubOrigin<T>(origin: ScrubOrigin, work: () => T): T {
  return storage.run(origin, work);
}

export function currentScrubOrigin(): ScrubOrigin | undefined {
  return storage.getStore();
}

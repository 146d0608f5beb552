// A step whose call fails because a dependency Steward runs on is down (its database, secret backend, identity
// provider) waits it out with a durable timer and calls again, up to the run's dependency wait, without spending the
// step's own `retry`, which is for the tool's or model's own failures. Runs recorded before this retried such
// outages within the step's retry and replay that way. The bookkeeping a run cannot do without (loading its
// definition, recording its approvals, auditing what it decided) waits the same way, under a patch of its own.
import { ActivityFailure, ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import type { PreparedRun } from '../activities/prepare-run';

export const DEPENDENCY_WAIT_PATCH = 'dependency-faults-wait';
/** Runs recorded before it spent the bookkeeping activities' few attempts on an outage, and replay that way. */
export const BOOKKEEPING_WAIT_PATCH = 'bookkeeping-outlasts-outage';
/** Runs prepared before the setting existed wait as long as its default. */
export const DEFAULT_DEPENDENCY_WAIT_MS = 3_600_000;
const FIRST_PAUSE_MS = 2_000;
const LONGEST_PAUSE_MS = 60_000;

export interface DependencyWaitOptions {
  /** Passed to the activity: it reports an outage as DEPENDENCY_UNAVAILABLE only when the run waits it out. */
  waitsOutOutages?: true;
}

/** Calls `call` until it does not fail for a dependency's outage, or the run's dependency wait is spent. */
export async function outlastingOutages<T>(prepared: PreparedRun, call: (options: DependencyWaitOptions) => Promise<T>): Promise<T> {
  if (!patched(DEPENDENCY_WAIT_PATCH)) return call({});
  return waitingOutOutages(prepared.dependencyWaitMs, call);
}

/**
 * The same wait for a bookkeeping activity. `waitMs` is the run's dependency wait, undefined before the run is
 * prepared (the worker's setting is not known yet): the default then.
 */
export async function bookkeepingOutlastingOutages<T>(waitMs: number | undefined, call: (options: DependencyWaitOptions) => Promise<T>): Promise<T> {
  if (!patched(BOOKKEEPING_WAIT_PATCH)) return call({});
  return waitingOutOutages(waitMs, call);
}

/** Calls `call` until it does not fail for a dependency's outage, or `waitMs` (the default when undefined) is spent. */
export async function waitingOutOutages<T>(waitMs: number | undefined, call: (options: DependencyWaitOptions) => Promise<T>): Promise<T> {
  const budgetMs = waitMs ?? DEFAULT_DEPENDENCY_WAIT_MS;
  let waitedMs = 0;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await call({ waitsOutOutages: true });
    } catch (error) {
      if (!isDependencyOutage(error) || waitedMs >= budgetMs) throw error;
      const wait = Math.min(pause, budgetMs - waitedMs);
      await sleep(wait);
      waitedMs += wait;
    }
  }
}

/** True for the failure an activity reports when a dependency (not the step itself) failed. */
export function isDependencyOutage(error: unknown): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.type === 'DEPENDENCY_UNAVAILABLE';
}

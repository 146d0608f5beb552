// A signal the run refuses is audited without holding up the run. An audit that meets a dependency's outage waits it
// out, and the run does not close before it is written; runs recorded before this could close first, losing it.
import { patched, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BOOKKEEPING_WAIT_PATCH, bookkeepingOutlastingOutages } from './dependency-wait';
import type { RefusedSignal } from './inbox';

const { recordRefusedSignal } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

export class RefusedSignalAudits {
  private readonly writing = new Set<Promise<void>>();

  /** `waitMs` gives the run's dependency wait, undefined until the run is prepared. */
  constructor(private readonly waitMs: () => number | undefined) {}

  /** Starts the audit of `refused`; an audit that still fails after the wait is dropped. */
  record(refused: RefusedSignal): void {
    const written: Promise<void> = bookkeepingOutlastingOutages(this.waitMs(), (outages) => recordRefusedSignal({ ...refused, ...outages }))
      .catch(() => undefined)
      .finally(() => this.writing.delete(written));
    this.writing.add(written);
  }

  /** Resolves once every audit started is written (or dropped). */
  async flush(): Promise<void> {
    if (this.writing.size === 0 || !patched(BOOKKEEPING_WAIT_PATCH)) return;
    await Promise.all(this.writing);
  }
}

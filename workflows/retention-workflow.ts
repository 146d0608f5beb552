// The retention workflow, started by each tenant's retention schedule: it purges what is past its retention, one
// activity per kind of data, so further kinds (audit entries, ledger rows, user tokens) join as activities here.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { purgeExpiredPii } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });

/** How many entries each purge deleted, by kind. */
export interface RetentionOutcome {
  pii_vault: number;
}

export async function retentionWorkflow(): Promise<RetentionOutcome> {
  return { pii_vault: await purgeExpiredPii() };
}

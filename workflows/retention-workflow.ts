// The retention workflow, started by each tenant's retention schedule: it purges what is past its retention, one
// activity per kind of data (PII-vault entries, user tokens, LLM ledger rows, audit entries).
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { purgeExpiredPii, purgeExpiredUserTokens, purgeExpiredLedgerRows, purgeExpiredAuditEntries } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5 },
});

/** How many entries each purge deleted, by kind. */
export interface RetentionOutcome {
  pii_vault: number;
  user_tokens?: number;
  llm_ledger?: number;
  audit_events?: number;
}

export async function retentionWorkflow(): Promise<RetentionOutcome> {
  const outcome: RetentionOutcome = { pii_vault: await purgeExpiredPii() };
  // Runs recorded before these purges existed replay without them.
  if (patched('retention-purges-tokens-ledger-audit')) {
    outcome.user_tokens = await purgeExpiredUserTokens();
    outcome.llm_ledger = await purgeExpiredLedgerRows();
    // Last, so the trail's purge follows the other purges' audit entries rather than racing them.
    outcome.audit_events = await purgeExpiredAuditEntries();
  }
  return outcome;
}

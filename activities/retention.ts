// Retention purges run by the tenant's retention schedule, each deleting one kind of data past its retention and
// auditing how much it deleted (counts only). Audit entries are purged under a signed marker (see audit-purge.ts).
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { purgeAuditEntries } from '../src/audit/audit-purge';
import type { CheckpointSigner } from '../src/audit/checkpoint-signer';
import { purgeExpiredPii } from '../src/codec/pii-vault/pii-vault';
import type { SubjectKeyVault } from '../src/codec/pii-vault/subject-key-vault';
import { purgeExpiredUserTokens } from '../src/identity/user-token-store';
import { purgeLedgerRowsBefore } from '../src/llm/ledger';
import { loadTenantRetention } from '../src/retention/tenant-retention';
import type { TenantId } from '../src/tenancy/tenant-id';

export const RETENTION_AGENT = 'steward-retention';

interface RetentionDeps {
  pool: Pool;
  tenant: TenantId;
}

async function auditPurge(deps: RetentionDeps, type: string, purged: number): Promise<number> {
  if (purged > 0) await recordAuditEvent(deps.pool, deps.tenant, { type, agentId: RETENTION_AGENT, payload: { entries: purged } });
  return purged;
}

export function createPurgeExpiredPii(deps: RetentionDeps & { piiSubjectKeys: SubjectKeyVault }) {
  return async function purgeExpiredPiiEntries(): Promise<number> {
    return auditPurge(deps, 'pii.purged', await purgeExpiredPii(deps.pool, deps.piiSubjectKeys));
  };
}

export function createPurgeExpiredAuditEntries(deps: RetentionDeps & { auditSigner?: CheckpointSigner }) {
  return async function purgeExpiredAuditEntries(): Promise<number> {
    if (!deps.auditSigner) throw ApplicationFailure.create({ message: 'this worker has no audit signing key: audit entries cannot be purged under a signed marker', nonRetryable: true });
    const retention = await loadTenantRetention(deps.pool, deps.tenant);
    const olderThan = new Date(Date.now() - retention.audit_events);
    // Audited inside the purge's own transaction, with the marker.
    return (await purgeAuditEntries(deps.pool, deps.auditSigner, deps.tenant, olderThan, { agentId: RETENTION_AGENT })).entries;
  };
}

export function createPurgeExpiredLedgerRows(deps: RetentionDeps) {
  return async function purgeExpiredLedgerRows(): Promise<number> {
    const retention = await loadTenantRetention(deps.pool, deps.tenant);
    return auditPurge(deps, 'llm_ledger.purged', await purgeLedgerRowsBefore(deps.pool, deps.tenant, new Date(Date.now() - retention.llm_ledger)));
  };
}

export function createPurgeExpiredUserTokens(deps: RetentionDeps) {
  return async function purgeExpiredUserTokenRows(): Promise<number> {
    return auditPurge(deps, 'user_tokens.purged', await purgeExpiredUserTokens(deps.pool, { tenant: deps.tenant }));
  };
}

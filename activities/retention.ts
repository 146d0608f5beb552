// Retention purges run by the tenant's retention schedule, each deleting one kind of data past its retention and
// auditing how much it deleted.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { purgeExpiredPii } from '../src/codec/pii-vault';
import type { SubjectKeyVault } from '../src/codec/subject-key-vault';
import type { TenantId } from '../src/tenancy/tenant-id';

export const RETENTION_AGENT = 'steward-retention';

export function createPurgeExpiredPii(deps: { pool: Pool; tenant: TenantId; piiSubjectKeys: SubjectKeyVault }) {
  return async function purgeExpiredPiiEntries(): Promise<number> {
    const purged = await purgeExpiredPii(deps.pool, deps.piiSubjectKeys);
    if (purged > 0) await recordAuditEvent(deps.pool, deps.tenant, { type: 'pii.purged', agentId: RETENTION_AGENT, payload: { entries: purged } });
    return purged;
  };
}

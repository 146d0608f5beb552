// A run refuses to start under a workflow id that holds PII: Temporal keeps the id in clear, and a raw
// `temporal workflow start` never meets the client's guard. The refusal is audited here, where it is decided,
// naming the run by Temporal's run id and the kinds found: never the workflow id, which is the PII.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { findPiiInWorkflowId } from '../src/codec/workflow-id-guard';
import { StewardError } from '../src/errors';
import type { TenantId } from '../src/tenancy/tenant-id';

export async function assertRunWorkflowIdHoldsNoPii(
  deps: { pool: Pool; tenant: TenantId },
  execution: { workflowId: string; runId: string },
): Promise<void> {
  const kinds = findPiiInWorkflowId(execution.workflowId);
  if (kinds.length === 0) return;
  await recordAuditEvent(deps.pool, deps.tenant, {
    type: 'security.pii_in_workflow_id',
    runId: execution.runId,
    agentId: 'steward-worker',
    payload: { kinds, outcome: 'run refused' },
  });
  throw new StewardError(
    'PII_IN_WORKFLOW_ID',
    `workflowId: holds what looks like PII (${kinds.join(', ')}); Temporal stores workflow ids unencrypted, so the run was refused: start it under an opaque id`,
  );
}

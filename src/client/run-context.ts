// What the run views (list, show, trace) read from: one tenant's namespace, its rows, and its data converter in the
// view the caller may see. Built by the client, which is bound to that tenant.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import type { PiiView } from '../codec/pii-codec';
import { StewardError } from '../errors';
import type { TenantId } from '../tenancy/tenant-id';

export interface RunContext {
  tenant: TenantId;
  namespace: string;
  temporal: Client;
  pool: Pool;
  /** The tenant's data converter whose PII codec shows values as `view` says. */
  converterFor(view: Extract<PiiView, 'restore' | 'mask'>): LoadedDataConverter;
}

/** The run's handle once Temporal knows it in this tenant's namespace; another tenant's run is simply not found. */
export async function findRun(context: RunContext, workflowId: string): Promise<{ handle: WorkflowHandle; description: Awaited<ReturnType<WorkflowHandle['describe']>> }> {
  const handle = context.temporal.workflow.getHandle(workflowId);
  try {
    return { handle, description: await handle.describe() };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw runNotFound(workflowId);
    throw error;
  }
}

export function runNotFound(workflowId: string): StewardError {
  return new StewardError('NOT_FOUND', `run ${JSON.stringify(workflowId)} not found`);
}

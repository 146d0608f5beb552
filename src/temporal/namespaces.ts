// A tenant's Temporal namespace: created when missing (with Steward's search attributes), waited on until the
// server serves it, counted and deleted with the tenant.
import type { Connection } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { ensureSearchAttributes } from './search-attributes';

const READY_TIMEOUT_MS = 30_000;
// gRPC status codes (grpc/status.proto).
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

export async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists' = 'exists';
  if (!(await namespaceExists(connection, namespace))) {
    outcome = 'created';
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
      });
    } catch (error) {
      if (!(isGrpcServiceError(error) && error.code === GRPC_ALREADY_EXISTS)) throw error;
    }
  }
  // describeNamespace reads the store, but starting runs goes through the frontend's namespace cache, which
  // refreshes on its own schedule: wait until a cache-backed call (listing runs) accepts the namespace.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await namespaceServed(connection, namespace))) {
    if (Date.now() > deadline) throw new Error(`namespace ${namespace} was registered but is not served after ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await ensureSearchAttributes(connection, namespace);
  return outcome;
}

/** Deletes a namespace and, with it, every run in it. */
export async function deleteNamespace(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.operatorService.deleteNamespace({ namespace });
    return true;
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return false;
    throw error;
  }
}

/** Open workflow executions in `namespace`, leaving out the workflow types named in `except` (housekeeping). */
export async function countOpenRuns(connection: Connection, namespace: string, except: readonly string[] = []): Promise<number> {
  const excluded = except.map((type) => ` AND WorkflowType != '${type.replace(/'/g, "''")}'`).join('');
  const { count } = await connection.workflowService.countWorkflowExecutions({ namespace, query: `ExecutionStatus = 'Running'${excluded}` });
  return Number(count ?? 0);
}

async function namespaceExists(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return false;
    throw error;
  }
}

async function namespaceServed(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
    return true;
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return false;
    throw error;
  }
}

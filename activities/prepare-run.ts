// Loads the registered definition a run executes and checks the run's input against it.
import type { Pool } from 'pg';
import { assertValidInput } from '../src/definitions/input-validator';
import { findDefinition } from '../src/definitions/registry';
import type { Definition } from '../src/ir/schema';
import type { TenantId } from '../src/tenancy/tenant-id';
import { withFailureMapping } from './failures';

export interface PrepareRunRequest {
  workflow: string;
  version?: number;
  input: unknown;
}

export interface PreparedRun {
  tenant: string;
  workflow: string;
  version: number;
  hash: string;
  definition: Definition;
}

export function createPrepareRun(deps: { pool: Pool; tenant: TenantId }) {
  return async function prepareRun(request: PrepareRunRequest): Promise<PreparedRun> {
    return withFailureMapping(async () => {
      const stored = await findDefinition(deps.pool, deps.tenant, request.workflow, request.version);
      assertValidInput(stored.definition.input, request.input, stored.hash);
      return { tenant: deps.tenant, workflow: stored.workflowId, version: stored.version, hash: stored.hash, definition: stored.definition };
    });
  };
}

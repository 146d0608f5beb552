// Starts a run for real: the tenant may start runs, the definition is registered, the input fits it, and the run
// is recorded with the definition hash it pins.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { withTenant } from '../src/db/tenant-scope';
import { StewardError } from '../src/errors';
import { assertValidInput } from '../src/definitions/input-validator';
import { findDefinition } from '../src/definitions/registry';
import type { Definition } from '../src/ir/schema';
import type { TenantId } from '../src/tenancy/tenant-id';
import { assertTenantCanStartRuns } from '../src/tenancy/tenant-registry';
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
      await assertTenantCanStartRuns(deps.pool, deps.tenant);
      const stored = await findDefinition(deps.pool, deps.tenant, request.workflow, request.version);
      assertValidInput(stored.definition.input, request.input, stored.hash);
      const execution = Context.current().info.workflowExecution;
      if (!execution) throw new StewardError('INTERNAL', 'prepareRun is an activity of a run, not a standalone activity');
      const { workflowId, runId } = execution;
      await withTenant(deps.pool, deps.tenant, (db) =>
        db.query(
          `INSERT INTO runs (tenant_id, workflow_id, run_id, definition_id, version, content_hash)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [deps.tenant, workflowId, runId, stored.workflowId, stored.version, stored.hash],
        ),
      );
      return { tenant: deps.tenant, workflow: stored.workflowId, version: stored.version, hash: stored.hash, definition: stored.definition };
    });
  };
}

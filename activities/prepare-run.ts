// Starts a run for real: the tenant may start runs, the definition is registered, the input fits it, and the run
// is recorded with the definition hash it pins and its verified starter (if any).
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { TenantKeyring } from '../src/codec/keys/keyring';
import { verifyRunStarter } from '../src/identity/run-starter';
import type { UserTokenHandle } from '../src/identity/user-token-handle';
import { StewardError } from '../src/errors';
import { assertValidInput } from '../src/definitions/input-validator';
import { findDefinition } from '../src/definitions/registry';
import type { Definition } from '../src/ir/schema';
import { recordRunStart } from '../src/runs/run-records';
import type { TenantId } from '../src/tenancy/tenant-id';
import { assertTenantCanStartRuns } from '../src/tenancy/tenant-registry';
import { withFailureMapping } from './failures';
import { assertRunWorkflowIdHoldsNoPii } from './workflow-id-check';

export interface PrepareRunRequest {
  workflow: string;
  version?: number;
  input: unknown;
  /** The user the start arguments name; recorded as the run's starter only once their sealed token proves it. */
  user?: UserTokenHandle | undefined;
  /** Temporal's root of the run when it is a child run (a child may use its root's sealed token). */
  rootWorkflowId?: string | undefined;
  /** Set by runs new enough to ask: the workflow id is refused if it holds PII (workflow-id-check.ts). */
  checkWorkflowId?: boolean;
  /** The run waits out a dependency's outage, so this call reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

export interface PreparedRun {
  tenant: string;
  workflow: string;
  version: number;
  hash: string;
  definition: Definition;
  /** How long this run waits out a dependency's outage at one step: the worker's setting when the run started,
   *  kept here so the workflow reads it from history (absent in runs prepared before it existed). */
  dependencyWaitMs?: number;
}

export function createPrepareRun(deps: { pool: Pool; tenant: TenantId; keyring?: TenantKeyring; dependencyWaitMs?: number }) {
  return async function prepareRun(request: PrepareRunRequest): Promise<PreparedRun> {
    return withFailureMapping(async () => {
      const execution = Context.current().info.workflowExecution;
      if (!execution) throw new StewardError('INTERNAL', 'prepareRun is an activity of a run, not a standalone activity');
      if (request.checkWorkflowId) await assertRunWorkflowIdHoldsNoPii(deps, execution);
      await assertTenantCanStartRuns(deps.pool, deps.tenant);
      const stored = await findDefinition(deps.pool, deps.tenant, request.workflow, request.version);
      assertValidInput(stored.definition.input, request.input, stored.hash);
      const { workflowId, runId } = execution;
      const startedBy = await verifyRunStarter(deps.pool, deps.keyring, request.user, { workflowId, rootWorkflowId: request.rootWorkflowId });
      await recordRunStart(deps.pool, deps.tenant, {
        workflowId,
        runId,
        definitionId: stored.workflowId,
        version: stored.version,
        contentHash: stored.hash,
        startedBy,
      });
      return {
        tenant: deps.tenant,
        workflow: stored.workflowId,
        version: stored.version,
        hash: stored.hash,
        definition: stored.definition,
        ...(deps.dependencyWaitMs === undefined ? {} : { dependencyWaitMs: deps.dependencyWaitMs }),
      };
    }, { waitsOutOutages: request.waitsOutOutages });
  };
}

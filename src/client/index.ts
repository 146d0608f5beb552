// The typed TypeScript client: register definitions, start runs in the caller's tenant, and follow them.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadRuntimeConfig, type RuntimeConfig } from '../config/runtime';
import { createPool } from '../db/pool';
import { listAuditEvents, type StoredAuditEvent } from '../audit/audit-log';
import { listPendingApprovals, type PendingApproval } from '../approvals/pending-approvals';
import { findDefinition, registerDefinition, type StoredDefinition } from '../definitions/registry';
import { StewardError } from '../errors';
import { formatIssue, parseDefinition } from '../ir/parse';
import type { Definition } from '../ir/schema';
import { loadConnectionOptions, TASK_QUEUE } from '../temporal/connection';
import { assertTenantId, type TenantId } from '../tenancy/tenant-id';
import { assertTenantCanStartRuns, findTenant, tenantNotFound } from '../tenancy/tenant-registry';
import { RunHandle } from './run-handle';

export { RunHandle };
export type { ApprovalAnswer, ApprovalRequest } from './run-handle';
export type { PendingApproval };
export type { Definition };

/** The workflow type that interprets every definition. */
export const AGENT_WORKFLOW_TYPE = 'agentWorkflow';

export interface StartRunRequest<TInput> {
  workflow: string;
  /** Pins a version; the newest registered version otherwise. */
  version?: number;
  input: TInput;
  /** Defaults to `<workflow>-<uuid>`. Workflow ids are not encrypted by Temporal: never put data in them. */
  workflowId?: string;
}

export interface RegisteredDefinition {
  definition: Definition;
  hash: string;
  status: 'registered' | 'unchanged';
}

/**
 * A client bound to one tenant: it only ever addresses that tenant's namespace and, through row-level
 * security, that tenant's rows. A run id of another tenant is simply not found.
 */
export class StewardClient {
  private constructor(
    readonly tenant: TenantId,
    readonly namespace: string,
    private readonly temporal: Client,
    private readonly pool: Pool,
    private readonly config: RuntimeConfig,
  ) {}

  static async connect(options: { tenant: string; config?: RuntimeConfig }): Promise<StewardClient> {
    const tenant = assertTenantId(options.tenant);
    const config = options.config ?? loadRuntimeConfig();
    const pool = createPool(config.appDatabaseUrl, { max: 2 });
    try {
      const registered = await findTenant(pool, tenant);
      if (!registered) throw tenantNotFound(tenant);
      const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
      return new StewardClient(tenant, registered.namespace, new Client({ connection, namespace: registered.namespace }), pool, config);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Validates an IR document (YAML or JSON) and registers it for this tenant. */
  async register(source: string, filename?: string): Promise<RegisteredDefinition> {
    const parsed = parseDefinition(source, { filename });
    if (!parsed.ok) {
      throw new StewardError('DEFINITION_INVALID', `invalid workflow definition:\n${parsed.issues.map(formatIssue).join('\n')}`);
    }
    const registered = await registerDefinition(this.pool, this.tenant, parsed.definition, source);
    return { definition: parsed.definition, ...registered };
  }

  async start<TOutput = unknown, TInput = unknown>(request: StartRunRequest<TInput>): Promise<RunHandle<TOutput>> {
    await assertTenantCanStartRuns(this.pool, this.tenant);
    const handle = await this.temporal.workflow.start(AGENT_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: request.workflowId ?? `${request.workflow}-${randomUUID()}`,
      args: [{ workflow: request.workflow, version: request.version, input: request.input }],
    });
    return new RunHandle<TOutput>(handle, this.namespace, handle.firstExecutionRunId, this.config.uiUrl);
  }

  /** A handle on an existing run of this tenant. */
  async getRun<TOutput = unknown>(workflowId: string, runId?: string): Promise<RunHandle<TOutput>> {
    const handle = this.temporal.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    return new RunHandle<TOutput>(handle, this.namespace, description.runId, this.config.uiUrl);
  }

  /** Runs of this tenant, newest first, optionally filtered by a Temporal visibility query. */
  async listRuns(options: { query?: string; limit?: number } = {}): Promise<Array<{ workflowId: string; runId: string; status: string; type: string }>> {
    const runs = [];
    for await (const run of this.temporal.workflow.list({ query: options.query, pageSize: options.limit ?? 100 })) {
      runs.push({ workflowId: run.workflowId, runId: run.runId, status: run.status.name, type: run.type });
      if (runs.length >= (options.limit ?? 100)) break;
    }
    return runs;
  }

  /** Approvals waiting for a decision across this tenant's runs. */
  listPendingApprovals(): Promise<PendingApproval[]> {
    return listPendingApprovals(this.pool, this.tenant);
  }

  getDefinition(workflow: string, version?: number): Promise<StoredDefinition> {
    return findDefinition(this.pool, this.tenant, workflow, version);
  }

  listAuditEvents(filter: { workflowId?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    return listAuditEvents(this.pool, this.tenant, filter);
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.temporal.connection.close();
  }
}

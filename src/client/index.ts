// The typed TypeScript client: register definitions, start runs in the caller's tenant, and follow them.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadRuntimeConfig, type RuntimeConfig } from '../config/runtime';
import { createPool } from '../db/pool';
import { registerDefinition } from '../definitions/registry';
import { StewardError } from '../errors';
import { formatIssue, parseDefinition } from '../ir/parse';
import type { Definition } from '../ir/schema';
import { loadConnectionOptions, TASK_QUEUE } from '../temporal/connection';
import { ensureNamespace } from '../temporal/namespaces';
import { assertTenantId, namespaceForTenant, type TenantId } from '../tenancy/tenant-id';
import { RunHandle } from './run-handle';

export { RunHandle };
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

export class StewardClient {
  private pool: Pool | undefined;

  private constructor(
    readonly tenant: TenantId,
    readonly namespace: string,
    private readonly temporal: Client,
    private readonly config: RuntimeConfig,
  ) {}

  static async connect(options: { tenant: string; config?: RuntimeConfig }): Promise<StewardClient> {
    const tenant = assertTenantId(options.tenant);
    const config = options.config ?? loadRuntimeConfig();
    const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
    const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
    await ensureNamespace(connection, namespace, config.env.STEWARD_NAMESPACE_RETENTION_DAYS);
    return new StewardClient(tenant, namespace, new Client({ connection, namespace }), config);
  }

  /** Validates an IR document (YAML or JSON) and registers it for this tenant. */
  async register(source: string, filename?: string): Promise<RegisteredDefinition> {
    const parsed = parseDefinition(source, { filename });
    if (!parsed.ok) {
      throw new StewardError('DEFINITION_INVALID', `invalid workflow definition:\n${parsed.issues.map(formatIssue).join('\n')}`);
    }
    const registered = await registerDefinition(this.database(), this.tenant, parsed.definition, source);
    return { definition: parsed.definition, ...registered };
  }

  async start<TOutput = unknown, TInput = unknown>(request: StartRunRequest<TInput>): Promise<RunHandle<TOutput>> {
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

  async close(): Promise<void> {
    await this.pool?.end();
    await this.temporal.connection.close();
  }

  private database(): Pool {
    this.pool ??= createPool(this.config.databaseUrl, { max: 2 });
    return this.pool;
  }
}

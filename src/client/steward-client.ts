// The typed TypeScript client: register definitions, start runs in the caller's tenant, and follow them.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadRuntimeConfig, type RuntimeConfig } from '../config/runtime';
import { openAppPool } from '../db/app-role';
import { listAuditEvents, type StoredAuditEvent } from '../audit/audit-log';
import { listPendingApprovals, type PendingApproval } from '../approvals/approval-records';
import { findDefinition, registerDefinition, type StoredDefinition } from '../definitions/registry';
import type { TenantKeyring } from '../codec/keys/keyring';
import { createKeyringFactory, type KeyringFactory } from '../codec/keys/keyring-factory';
import { createTenantDataConverter } from '../codec/data-converter';
import { createPiiCodecFactory } from '../codec/pii-codec-factory';
import { AGENT_WORKFLOW_TYPE } from '../contract/messages';
import { assertWorkflowIdIsSafe } from '../codec/workflow-id-guard';
import type { Scrubber } from '../secrets/scrubber';
import { StewardError } from '../errors';
import { verifyUserToken } from '../identity';
import { recordOAuthEvent } from '../identity/oauth-audit';
import type { UserTokenHandle } from '../identity/user-token-handle';
import { storeUserToken } from '../identity/user-token-store';
import { formatIssue, parseDefinition } from '../ir/parse';
import type { Definition } from '../ir/schema';
import { loadConnectionOptions, TASK_QUEUE } from '../temporal/connection';
import { assertTenantId, type TenantId } from '../tenancy/tenant-id';
import { assertTenantCanStartRuns, findTenant, tenantNotFound } from '../tenancy/tenant-registry';
import { RunHandle } from './run-handle';

export interface StartRunRequest<TInput> {
  workflow: string;
  /** Pins a version; the newest registered version otherwise. */
  version?: number;
  input: TInput;
  /** Defaults to `<workflow>-<uuid>`. Workflow ids are not encrypted by Temporal: never put data in them. */
  workflowId?: string;
  /**
   * The access token of the user the run acts for. It is verified (issuer, audience, expiry, tenant), sealed
   * with the tenant's key under a short-lived handle for this run's workflow id alone, and only the handle goes to
   * the run: never the token.
   */
  userToken?: string;
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
    private readonly keys: KeyringFactory,
    /** Knows the secret values this process has resolved, when it has: a workflow id holding one is refused. */
    private readonly scrubber?: Scrubber,
  ) {}

  /** This tenant's keys: they seal user tokens (and encrypt payloads); no other tenant's are ever reachable here. */
  private get keyring(): TenantKeyring {
    return this.keys.keyringFor(this.tenant);
  }

  static async connect(options: { tenant: string; config?: RuntimeConfig; scrubber?: Scrubber }): Promise<StewardClient> {
    const tenant = assertTenantId(options.tenant);
    const config = options.config ?? loadRuntimeConfig();
    const pool = await openAppPool(config.appDatabaseUrl, { max: 2 });
    let connection: Connection | undefined;
    try {
      const registered = await findTenant(pool, tenant);
      if (!registered) throw tenantNotFound(tenant);
      connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
      // Payloads are encrypted with this tenant's key before they leave, and decrypted the same way on arrival.
      const keys = createKeyringFactory(config, pool);
      // PII becomes vault tokens first, so history holds neither the values nor their ciphertext.
      const keyring = keys.keyringFor(tenant);
      const piiCodec = createPiiCodecFactory(config, pool).codecFor(keyring, registered.namespace);
      const dataConverter = createTenantDataConverter({ keyring, namespace: registered.namespace, compressAboveBytes: keys.compressAboveBytes, piiCodec });
      const temporal = new Client({ connection, namespace: registered.namespace, dataConverter });
      return new StewardClient(tenant, registered.namespace, temporal, pool, config, keys, options.scrubber);
    } catch (error) {
      // Nothing half-built may keep the process alive.
      await connection?.close();
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
    if (request.workflowId !== undefined) assertWorkflowIdIsSafe(request.workflowId, { scrubber: this.scrubber });
    // The id is chosen first: the user's token is sealed for this run and no other.
    const workflowId = request.workflowId ?? `${request.workflow}-${randomUUID()}`;
    const user = request.userToken === undefined ? undefined : await this.sealUserToken(request.userToken, workflowId, 'start');
    const handle = await this.temporal.workflow.start(AGENT_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ workflow: request.workflow, version: request.version, input: request.input, ...(user ? { user } : {}) }],
    });
    return this.handleOf<TOutput>(handle, handle.firstExecutionRunId);
  }

  /**
   * Verifies a user token for this tenant and seals it for the run `workflowId` only; what comes back is safe to
   * put in that run. The verification, granted or refused, goes to the tenant's audit trail under that run.
   */
  private async sealUserToken(token: string, workflowId: string, stage: 'start' | 'renew' | 'approve'): Promise<UserTokenHandle> {
    if (!this.config.identity) throw new StewardError('CONFIG_INVALID', 'a user token needs an identity provider (STEWARD_OIDC_ISSUER)');
    const principal = await verifyUserToken(token, {
      ...this.config.identity,
      tenant: this.tenant,
      onOAuthEvent: (event) => recordOAuthEvent(this.pool, this.tenant, event, { workflowId, payload: { stage } }),
    });
    return storeUserToken(this.pool, this.keyring, { principal, token, workflowId });
  }

  private handleOf<TOutput>(handle: WorkflowHandle, runId: string): RunHandle<TOutput> {
    // A renewal or an approver's token is sealed for the run it is sent to, so it cannot be replayed into another.
    return new RunHandle<TOutput>(handle, this.namespace, runId, this.config.uiUrl, (token, stage) => this.sealUserToken(token, handle.workflowId, stage));
  }

  /** A handle on an existing run of this tenant. */
  async getRun<TOutput = unknown>(workflowId: string, runId?: string): Promise<RunHandle<TOutput>> {
    const handle = this.temporal.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    return this.handleOf<TOutput>(handle, description.runId);
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
    this.keys.close();
    await this.pool.end();
    await this.temporal.connection.close();
  }
}

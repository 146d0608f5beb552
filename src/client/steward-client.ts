// The typed TypeScript client: register definitions, start runs in the caller's tenant, and follow them.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { loadRuntimeConfig, type RuntimeConfig } from '../config/runtime';
import { listAuditEvents, recordAuditEvent, type StoredAuditEvent } from '../audit/audit-log';
import { listPendingApprovals, type PendingApproval } from '../approvals/approval-records';
import { findDefinition, registerDefinition, type StoredDefinition } from '../definitions/registry';
import type { TenantKeyring } from '../codec/keys/keyring';
import { loadTenantDataConverter } from '../codec/loaded-data-converter';
import type { PiiView } from '../codec/pii-codec';
import { piiViewOf } from '../codec/pii-view';
import { AGENT_WORKFLOW_TYPE } from '../contract/messages';
import { assertWorkflowIdIsSafe } from '../codec/workflow-id-guard';
import type { Scrubber } from '../secrets/scrubber';
import { requestWake } from '../worker/wake-requests';
import { StewardError } from '../errors';
import { verifyUserToken } from '../identity';
import { recordOAuthEvent } from '../identity/oauth-audit';
import type { UserTokenHandle } from '../identity/user-token-handle';
import { storeUserToken } from '../identity/user-token-store';
import { formatIssue, parseDefinition } from '../ir/parse';
import type { Definition } from '../ir/schema';
import { TASK_QUEUE } from '../temporal/connection';
import type { TenantId } from '../tenancy/tenant-id';
import { assertTenantCanStartRuns } from '../tenancy/tenant-registry';
import { StewardRuntime, type TenantRuntime } from '../runtime/steward-runtime';
import { RunHandle } from './run-handle';
import { findRun, type RunContext } from './run-context';
import { listRuns, runViewStatus, type RunFilter, type RunSummary, type RunViewStatus } from './run-list';
import { traceRun, type RunTrace } from './run-trace';
import { showRun, type RunDetails } from './run-view';

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

/** Who is looking at a run: their token (verified for this tenant) decides whether they see PII (`pii:read`). */
export interface RunViewer {
  viewerToken?: string;
}

/** What `cancelRun` did: asked Temporal to cancel the run, and how the run stood when the wait ended. */
export interface CancelOutcome {
  workflowId: string;
  runId: string;
  /** False when the run had already ended: nothing was cancelled. */
  requested: boolean;
  status: RunViewStatus;
}

/** How long `cancelRun` waits for the run to close after asking. */
const CANCEL_WAIT_MS = 30_000;

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
    private readonly runtime: TenantRuntime,
    private readonly temporal: Client,
    /** The tenant's data converter with PII restored or masked: run views decode with the caller's. */
    private readonly converters: Readonly<Record<Extract<PiiView, 'restore' | 'mask'>, LoadedDataConverter>>,
    /** Knows the secret values this process has resolved, when it has: a workflow id holding one is refused. */
    private readonly scrubber?: Scrubber,
    /** The runtime this client opened for itself, closed with it; a shared one is its owner's to close. */
    private readonly owned?: StewardRuntime,
  ) {}

  get tenant(): TenantId {
    return this.runtime.tenant;
  }

  get namespace(): string {
    return this.runtime.namespace;
  }

  private get pool(): Pool {
    return this.runtime.pool;
  }

  private get config(): RuntimeConfig {
    return this.runtime.config;
  }

  /** This tenant's keys: they seal user tokens (and encrypt payloads); no other tenant's are ever reachable here. */
  private get keyring(): TenantKeyring {
    return this.runtime.keyring;
  }

  /** A client with a runtime of its own (database pool, Vault session, Temporal connection), closed with it. */
  static async connect(options: { tenant: string; config?: RuntimeConfig; scrubber?: Scrubber }): Promise<StewardClient> {
    const runtime = await StewardRuntime.open(options.config ?? loadRuntimeConfig(), { poolSize: 2 });
    try {
      return await StewardClient.forTenant(runtime, options.tenant, { scrubber: options.scrubber, owned: true });
    } catch (error) {
      // Nothing half-built may keep the process alive.
      await runtime.close();
      throw error;
    }
  }

  /** A client on a runtime the process shares among tenants (a server's); closing it leaves the runtime open. */
  static async forTenant(runtime: StewardRuntime, tenant: string, options: { scrubber?: Scrubber; owned?: boolean } = {}): Promise<StewardClient> {
    const share = await runtime.forTenant(tenant);
    // PII becomes vault tokens before payloads leave, and everything is encrypted with the tenant's key.
    const converters = { restore: loadTenantDataConverter(share.dataConverter()), mask: loadTenantDataConverter(share.dataConverter({ view: 'mask' })) };
    return new StewardClient(share, await share.temporalClient(), converters, options.scrubber, options.owned ? runtime : undefined);
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
    return new RunHandle<TOutput>(
      handle,
      this.namespace,
      runId,
      this.config.uiUrl,
      (token, stage) => this.sealUserToken(token, handle.workflowId, stage),
      () => requestWake(this.pool, this.tenant),
    );
  }

  /** A handle on an existing run of this tenant. */
  async getRun<TOutput = unknown>(workflowId: string, runId?: string): Promise<RunHandle<TOutput>> {
    const handle = this.temporal.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    return this.handleOf<TOutput>(handle, description.runId);
  }

  private get runContext(): RunContext {
    return { tenant: this.tenant, namespace: this.namespace, temporal: this.temporal, pool: this.pool, converterFor: (view) => this.converters[view] };
  }

  /** Runs of this tenant, newest first, by status, definition, verified starter and start time. */
  listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    return listRuns(this.runContext, filter);
  }

  /**
   * One run: status, definition and version, starter, current node(s), path, pending waits, input and output, and
   * why it failed. PII shows only to a viewer whose token carries `pii:read`; everyone else sees it masked.
   */
  async showRun(workflowId: string, viewer: RunViewer = {}): Promise<RunDetails> {
    return showRun(this.runContext, workflowId, await this.viewOf(viewer));
  }

  /** What the run did, in time order: steps, model calls with tokens and cost, tool calls, approvals, delegation. */
  async traceRun(workflowId: string, viewer: RunViewer = {}): Promise<RunTrace> {
    return traceRun(this.runContext, workflowId, await this.viewOf(viewer));
  }

  /** Asks Temporal to cancel a running run, records that in the audit trail, and waits a while for it to close. */
  async cancelRun(workflowId: string): Promise<CancelOutcome> {
    const { handle, description } = await findRun(this.runContext, workflowId);
    if (description.status.name !== 'RUNNING') return { workflowId, runId: description.runId, requested: false, status: runViewStatus(description) };
    await handle.cancel();
    await recordAuditEvent(this.pool, this.tenant, { type: 'run.cancel_requested', workflowId, runId: description.runId, agentId: 'steward-client' });
    const deadline = Date.now() + CANCEL_WAIT_MS;
    let current = description;
    while (current.status.name === 'RUNNING' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      current = await handle.describe();
    }
    return { workflowId, runId: current.runId, requested: true, status: runViewStatus(current) };
  }

  /** The view a viewer's token earns here: it must verify for this tenant; without one the view is masked. */
  private async viewOf(viewer: RunViewer): Promise<Extract<PiiView, 'restore' | 'mask'>> {
    if (viewer.viewerToken === undefined) return piiViewOf(undefined);
    if (!this.config.identity) throw new StewardError('CONFIG_INVALID', 'a viewer token needs an identity provider (STEWARD_OIDC_ISSUER)');
    return piiViewOf(await verifyUserToken(viewer.viewerToken, { ...this.config.identity, tenant: this.tenant }));
  }

  /** Approvals waiting for a decision across this tenant's runs (or one run's), as an inbox shows them. */
  listPendingApprovals(filter: { workflowId?: string } = {}): Promise<PendingApproval[]> {
    return listPendingApprovals(this.pool, this.tenant, filter);
  }

  getDefinition(workflow: string, version?: number): Promise<StoredDefinition> {
    return findDefinition(this.pool, this.tenant, workflow, version);
  }

  listAuditEvents(filter: { workflowId?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    return listAuditEvents(this.pool, this.tenant, filter);
  }

  async close(): Promise<void> {
    await this.owned?.close();
  }
}

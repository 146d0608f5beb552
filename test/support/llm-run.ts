// Workflow-level LLM tests over the real stack: a tenant with a worker, its provider key in Vault, an in-process model
// server (so this file's recordings and "once" rules are its own), an HTTP target for tool nodes, and readers for
// the tenant's ledger and audit trail.
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { listAuditEvents, type StoredAuditEvent } from '../../src/audit/audit-log';
import { StewardClient } from '../../src/client';
import { createPool } from '../../src/db/pool';
import type { LlmProvider } from '../../src/llm';
import { listRunLedger, type LedgerEntry } from '../../src/llm/ledger';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { startHttpTarget, type HttpTarget } from './http-target';
import { createTestTenant, startTenantWorker, testConfig, writeVaultSecret, type RunningWorker } from './stack';
import { API_KEY, useModelServer, type ModelServerFixture } from './model-server';

export interface LlmRunFixture {
  tenant(): TenantId;
  client(): StewardClient;
  temporal(): Client;
  target(): HttpTarget;
  models: ModelServerFixture;
  /** The app-role pool (row-level security applies). */
  pool(): Pool;
  /** An llm node against this file's model server, with the tenant's key. */
  llmNode(provider: LlmProvider, fields: Record<string, unknown>): Record<string, unknown>;
  /** The `secrets` block the llm nodes need. */
  secrets(): Record<string, string>;
  /** Registers a definition (given as an object) and starts a run; returns the run handle. */
  start(definition: Record<string, unknown>, input?: unknown): Promise<Awaited<ReturnType<StewardClient['start']>>>;
  ledger(workflowId: string): Promise<LedgerEntry[]>;
  audit(workflowId: string): Promise<StoredAuditEvent[]>;
}

export function useLlmRuns(name: string): LlmRunFixture {
  const models = useModelServer();
  let tenant: TenantId;
  let worker: RunningWorker;
  let client: StewardClient;
  let temporal: Client;
  let target: HttpTarget;
  let pool: Pool;

  beforeAll(async () => {
    const config = testConfig();
    tenant = await createTestTenant(name);
    await writeVaultSecret(`tenants/${tenant}/llm`, { key: API_KEY });
    [worker, client, target] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant }), startHttpTarget()]);
    temporal = new Client({ connection: await Connection.connect(loadConnectionOptions(config.localTemporalAddress)), namespace: tenant });
    pool = createPool(config.appDatabaseUrl, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await temporal?.connection.close();
    await client?.close();
    await worker?.stop();
    await target?.close();
  });

  return {
    tenant: () => tenant,
    client: () => client,
    temporal: () => temporal,
    target: () => target,
    models,
    pool: () => pool,
    secrets: () => ({ key: `vault:secret/data/tenants/${tenant}/llm#key` }),
    llmNode: (provider, fields) => ({
      type: 'llm',
      provider,
      base_url: provider === 'openai' ? models.server().openaiBaseUrl : models.server().baseUrl,
      model: 'steward-local',
      api_key: '{{ secrets.key }}',
      retry: { max_attempts: 3, initial_interval: '100ms' },
      ...fields,
    }),
    async start(definition, input = {}) {
      const { definition: registered } = await client.register(JSON.stringify(definition));
      return client.start({ workflow: registered.id, version: registered.version, input });
    },
    ledger: (workflowId) => listRunLedger(pool, tenant, workflowId),
    audit: (workflowId) => listAuditEvents(pool, tenant, { workflowId }),
  };
}

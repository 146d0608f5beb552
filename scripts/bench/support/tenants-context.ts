// What every section of the tenants benchmark works with: the stack's pools and connection, the tenants created,
// clients and definitions per tenant, and replicas spawned with the benchmark's environment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { StewardClient } from '../../../src/client';
import type { RuntimeConfig } from '../../../src/config/runtime';
import { setTenantEgressAllow } from '../../../src/egress/tenant-egress';
import { registerDefinition } from '../../../src/definitions/registry';
import { parseDefinition } from '../../../src/ir/parse';
import type { TenantId } from '../../../src/tenancy/tenant-id';
import { spawnReplica, type WorkerReplica } from './worker-replica';

const { EventType } = temporal.api.enums.v1;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export { EventType };

export interface TenantsBench {
  say: (line: string) => void;
  config: RuntimeConfig;
  admin: Pool;
  app: Pool;
  connection: Connection;
  temporal: { address: string; binary: string; pid?: number };
  logsDir: string;
  rssCapMiB: number;
  /** Every tenant created, in creation order. */
  tenants: TenantId[];
  namespaceOf: (tenant: TenantId) => string;
  /** The environment replicas start with (the stack's, retention pushed out of the measurement). */
  workerEnv: NodeJS.ProcessEnv;
}

export class BenchSession {
  private readonly clients = new Map<TenantId, StewardClient>();
  private readonly replicas = new Set<WorkerReplica>();
  private spawned = 0;

  constructor(readonly bench: TenantsBench) {}

  /** A client with a runtime (pool, connection) of its own: one tenant's starts never queue behind another's. */
  async client(tenant: TenantId): Promise<StewardClient> {
    let client = this.clients.get(tenant);
    if (!client) this.clients.set(tenant, (client = await StewardClient.connect({ tenant, config: this.bench.config })));
    return client;
  }

  /** Registers a definition for each tenant through the application role, as `steward run` does. */
  async register(tenants: TenantId[], source: (tenant: TenantId) => string): Promise<void> {
    for (const tenant of tenants) {
      const text = source(tenant);
      const parsed = parseDefinition(text, { filename: 'bench.yaml' });
      if (!parsed.ok) throw new Error(`a benchmark definition does not validate: ${JSON.stringify(parsed.issues)}`);
      await registerDefinition(this.bench.app, tenant, parsed.definition, text);
    }
  }

  /** The benchmark's HTTP targets listen on loopback, which a tenant's egress refuses unless allowed. */
  async allowLoopback(tenants: TenantId[]): Promise<void> {
    for (const tenant of tenants) await setTenantEgressAllow(this.bench.admin, tenant, ['127.0.0.0/8']);
  }

  /** Spawns a replica; `extraEnv` on top of the benchmark's worker environment. */
  spawn(label: string, extraEnv: NodeJS.ProcessEnv = {}, tenants?: string[]): WorkerReplica {
    const file = `bench-replica-${++this.spawned}-${label.replace(/[^a-z0-9]+/gi, '-')}.log`;
    const replica = spawnReplica({ label, env: { ...this.bench.workerEnv, ...extraEnv }, logFile: join(this.bench.logsDir, file), rssCapMiB: this.bench.rssCapMiB, tenants });
    this.replicas.add(replica);
    return replica;
  }

  /** Stops every replica still running and forgets replicas that died without leaving (a SIGKILL leaves its row). */
  async stopReplicas(): Promise<void> {
    await Promise.all([...this.replicas].map((replica) => replica.stop()));
    this.replicas.clear();
    await this.bench.admin.query('DELETE FROM worker_replicas');
  }

  async close(): Promise<void> {
    await this.stopReplicas();
    await Promise.all([...this.clients.values()].map((client) => client.close()));
  }

  /** The run's history as Temporal keeps it (payloads left encoded: only event types and times are read). */
  async history(tenant: TenantId, workflowId: string): Promise<HistoryEvent[]> {
    const { history } = await whileNamespaceLoads(() =>
      this.bench.connection.workflowService.getWorkflowExecutionHistory({ namespace: this.bench.namespaceOf(tenant), execution: { workflowId } }),
    );
    return history?.events ?? [];
  }

  /** `temporal workflow signal` with the stack's own CLI binary, as an operator or another system would send it. */
  signalWithCli(tenant: TenantId, workflowId: string, name: string, input: unknown): Promise<void> {
    const args = ['workflow', 'signal', '--namespace', this.bench.namespaceOf(tenant), '--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input), '--address', this.bench.temporal.address];
    return new Promise((resolve, reject) => {
      const child = spawn(this.bench.temporal.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`temporal workflow signal exited with ${code}: ${stderr.trim()}`))));
    });
  }
}

/** Start-to-close of a closed run, from its history's first and last events (server clock). */
export function runMillis(events: HistoryEvent[]): number | undefined {
  const last = events.at(-1);
  const closed = last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
  return closed && events[0] ? eventMillis(last) - eventMillis(events[0]) : undefined;
}

export function eventMillis(event: HistoryEvent): number {
  const time = event.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/**
 * Retries `work` while Temporal answers NamespaceNotFound for a namespace that exists: a dev server restarted with
 * hundreds of namespaces answers so for a while, until its namespace registry has caught up.
 */
export async function whileNamespaceLoads<T>(work: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      const loading = error instanceof Error && (error.name === 'NamespaceNotFoundError' || /namespace .*not found/i.test(error.message));
      if (!loading || Date.now() > deadline) throw error;
      await sleep(1_000);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

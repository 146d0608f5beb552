// Test helpers over the real stack: tenants unique to each test run, the runtime config, in-process workers.
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { readStackFile } from '../../src/config/stack-file';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { assertTenantId, namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createTenant } from '../../src/tenancy/tenant-service';
import { setTenantEgressAllow } from '../../src/egress/tenant-egress';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { createTenantWorker } from '../../src/worker/tenant-worker';

export function testConfig(): RuntimeConfig {
  return loadRuntimeConfig();
}

/** A tenant id unique to this test run, so runs of the suite never see each other's data. */
export function uniqueTenant(name: string): TenantId {
  return assertTenantId(`${name}-${process.env.STEWARD_TEST_RUN_ID ?? Date.now().toString(36)}`);
}

/**
 * Creates a tenant for this test run: registry row, partitions and namespace. Its tool calls may reach loopback
 * (where tests' HTTP targets listen) unless `egressAllow` says otherwise; the stack's own services stay refused.
 */
export async function createTestTenant(name: string, config = testConfig(), options: { egressAllow?: string[] } = {}): Promise<TenantId> {
  const id = uniqueTenant(name);
  const admin = createPool(config.databaseUrl, { max: 1 });
  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  try {
    await createTenant({ admin, connection, env: config.env }, id);
    await setTenantEgressAllow(admin, id, options.egressAllow ?? ['127.0.0.0/8']);
  } finally {
    await connection.close();
    await admin.end();
  }
  return id;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** Runs a real Worker for the tenant's namespace in this process until stop() is called. */
export async function startTenantWorker(tenant: TenantId, config = testConfig()): Promise<RunningWorker> {
  const options = loadConnectionOptions(config.localTemporalAddress);
  const namespace = namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX);
  const [connection, bundle] = await Promise.all([NativeConnection.connect(options), createWorkflowBundle()]);
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  // The production factory, so tests run through the real payload codec with the tenant's keys from Vault.
  const shared = createSharedActivityDeps(StewardRuntime.create(config), console);
  const worker = await createTenantWorker({ connection, bundle, pool, tenant, namespace, shared });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await shared.runtime.close();
      await pool.end();
      await connection.close();
    },
  };
}

/** Waits until the run's history has an event matching the predicate (e.g. its first timer started). */
export async function waitForHistoryEvent<E>(
  run: { fetchHistory(): Promise<{ events?: E[] | null }> },
  predicate: (event: E) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!((await run.fetchHistory()).events ?? []).some(predicate)) {
    if (Date.now() > deadline) throw new Error('the awaited history event never came');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function processExit(child: import('node:child_process').ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Runs the real `temporal` CLI (the stack's binary) against the test stack. */
export async function temporalCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const config = testConfig();
  const binary = readStackFile(config.env.STEWARD_STATE_DIR)?.temporal.binary ?? 'temporal';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args, '--address', process.env.TEMPORAL_ADDRESS ?? config.localTemporalAddress ?? '127.0.0.1:7233']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The local STS's issuer, for minting user and approver tokens in tests. */
export function stsUrl(): string {
  const issuer = testConfig().identity?.issuer;
  if (!issuer) throw new Error('the test stack has no STS');
  return issuer;
}

/** Writes a KV v2 secret (`path` under `secret/data/`) into the test stack's Vault, as an operator would. */
export async function writeVaultSecret(path: string, data: Record<string, string>): Promise<void> {
  const vault = readStackFile(testConfig().env.STEWARD_STATE_DIR)?.vault;
  if (!vault) throw new Error('the test stack has no Vault');
  const response = await fetch(`${vault.address}/v1/secret/data/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vault.root_token, 'content-type': 'application/json' },
    body: JSON.stringify({ data }),
  });
  if (!response.ok) throw new Error(`vault write ${path}: ${response.status}`);
}

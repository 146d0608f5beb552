// A tenant's Worker that dies is replaced by the supervisor, and health says so meanwhile: not serving, with the
// cause, until the replacement runs. The Worker is killed the way a failing task pipeline kills it: an error in
// the SDK's own stream, without an orderly shutdown, which leaves Core holding the dead Worker's registration.
import { NativeConnection, type Worker } from '@temporalio/worker';
import { StewardClient } from '../../src/client';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/log/logger';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { findTenant, type Tenant } from '../../src/tenancy/tenant-registry';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { startHealthServer } from '../../src/worker/health-server';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { TenantSupervisor } from '../../src/worker/tenant-supervisor';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
beforeAll(async () => {
  tenant = await createTestTenant('supervised');
});

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a Worker that dies is replaced, and /healthz answers 503 naming the tenant until it is', async () => {
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  const connect = () => NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  const connection = await connect();
  const log = createLogger('supervisor-test', 'warn');
  const shared = createSharedActivityDeps(StewardRuntime.create(config), log);
  const supervisor = new TenantSupervisor({ connection, bundle: await createWorkflowBundle(), pool, log, shared, connect });
  const health = await startHealthServer({ port: 0, host: '127.0.0.1', health: () => supervisor.health() });
  const probe = async () => {
    const response = await fetch(`http://127.0.0.1:${health.port}/healthz`);
    return { status: response.status, body: await response.json() };
  };
  const client = await StewardClient.connect({ tenant });
  try {
    const record = (await findTenant(pool, tenant)) as Tenant;
    await supervisor.sync([record]);
    expect(await probe()).toMatchObject({ status: 200, body: { healthy: true, expected: 1, serving: 1, tenants: { [tenant]: { state: 'serving', restarts: 0 } } } });

    const dead = (supervisor as unknown as { served: Map<TenantId, { worker: Worker }> }).served.get(tenant)!.worker;
    (dead as unknown as { instantTerminateErrorSubject: { error(error: Error): void } }).instantTerminateErrorSubject.error(new Error('task pipeline failed'));
    await until('the supervisor noticing', () => supervisor.health().tenants[tenant]?.restarts === 1);
    const down = await probe();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ healthy: false, expected: 1, serving: 0, tenants: { [tenant]: { state: 'not_serving', restarts: 1, last_error: expect.any(String) } } });

    // The worker's refresh timer runs the same sync every few seconds.
    await supervisor.sync([record]);
    expect(await probe()).toMatchObject({ status: 200, body: { healthy: true, serving: 1, tenants: { [tenant]: { state: 'serving', restarts: 1 } } } });

    await client.register('id: after-death\nversion: 1\nstart: done\nnodes:\n  done: { type: end, output: "\'served\'" }\n');
    const run = await client.start<string>({ workflow: 'after-death', input: {} });
    expect(await run.result()).toBe('served');
  } finally {
    await client.close();
    await supervisor.shutdown();
    await health.close();
    await shared.runtime.close();
    await pool.end();
    await connection.close();
  }
});

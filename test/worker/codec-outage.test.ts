// A codec that cannot reach the PII vault's database must fail the task it was encoding, never the tenant's Worker:
// a tool step fails with a message holding an IP address (PII to tokenize) while that database is down, and the
// Worker keeps running, writes the failure redacted, routes it to on_error and serves the next run.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { listAuditEvents } from '../../src/audit/audit-log';
import { StewardClient } from '../../src/client';
import { createPool } from '../../src/db/pool';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { createTenantWorker } from '../../src/worker/tenant-worker';
import { createTestTenant, testConfig } from '../support/stack';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const config = testConfig();
let tenant: TenantId;
let pool: Pool;
let runtime: StewardRuntime;
let vaultDatabase: TcpProxy;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let workerError: unknown;
let target: Server;
let targetUrl: string;

beforeAll(async () => {
  tenant = await createTestTenant('codec-outage');
  // The PII vault reaches Postgres through a proxy the test can cut; everything else reaches it directly.
  const appUrl = new URL(config.appDatabaseUrl);
  vaultDatabase = await startTcpProxy({ port: Number(appUrl.port) });
  const proxied = new URL(appUrl);
  proxied.port = String(vaultDatabase.port);
  pool = createPool(config.appDatabaseUrl, { max: 4 });
  // The target takes the vault's database down, then answers 500: the step fails while the vault is unreachable.
  target = createServer((request, response) => {
    request.resume();
    void vaultDatabase.cut().then(() => response.writeHead(500).end('down'));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;

  connection = await NativeConnection.connect(loadConnectionOptions(config.localTemporalAddress));
  // The worker's runtime (its keys, PII vault and audit writes) reaches the database through the proxy.
  runtime = StewardRuntime.create({ ...config, appDatabaseUrl: proxied.toString() }, { poolSize: 2 });
  const shared = createSharedActivityDeps(runtime, console);
  worker = await createTenantWorker({
    connection,
    bundle: await createWorkflowBundle(),
    pool,
    tenant,
    namespace: namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX),
    shared,
  });
  running = worker.run().catch((error: unknown) => {
    workerError = error;
  });
});

afterAll(async () => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
  await new Promise((resolve) => target.close(resolve));
  await vaultDatabase.close();
  await Promise.all([pool.end(), runtime.close()]);
  await connection.close();
});

const definition = (url: string) => `
id: codec-outage
version: 1
start: call
nodes:
  call:
    type: tool
    tool: http
    request: { method: GET, url: "${url}/orders" }
    retry: { max_attempts: 1 }
    on_error: handled
    next: done
  handled:
    type: end
    output: "{'handled': nodes.call.error.type, 'message': nodes.call.error.message}"
  done:
    type: end
    output: "{'handled': 'no'}"
`;

test('when the PII vault is unreachable while a failure holding an IP address is encoded, the Worker survives and the run goes on', async () => {
  const client = await StewardClient.connect({ tenant });
  try {
    await client.register(definition(targetUrl));
    const run = await client.start<{ handled: string; message: string }>({ workflow: 'codec-outage', input: {} });
    const output = await run.result();
    // The failure reached the run, redacted: the address could not be tokenized, so it is gone for good.
    expect(output.handled).toBe('TOOL_HTTP_ERROR');
    expect(output.message).toContain('[ip_address redacted]');
    expect(output.message).not.toContain('127.0.0.1');
    expect(worker.getState()).toBe('RUNNING');
    expect(workerError).toBeUndefined();

    // The same Worker serves the next run once the vault is back.
    await vaultDatabase.restore();
    const again = await client.start<{ handled: string }>({ workflow: 'codec-outage', input: {} });
    expect((await again.result()).handled).toBe('TOOL_HTTP_ERROR');
    expect(worker.getState()).toBe('RUNNING');

    // Each attempt is in the audit trail: node, method, host and status, never the path or a body.
    const calls = (await listAuditEvents(pool, tenant, { workflowId: run.workflowId })).filter((event) => event.type === 'tool.call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ step: 'call', attempt: 1, payload: { tool: 'http', method: 'GET', status: 500, outcome: 'error' } });
    expect(JSON.stringify(calls[0]!.payload)).not.toContain('/orders');
  } finally {
    await client.close();
  }
});

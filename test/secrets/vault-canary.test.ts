// A Vault secret used by a tool step reaches its target, and nowhere else: not raw Temporal history (read
// without any codec), not the worker's logs, not the audit trail. A reference outside the tenant is denied.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { historyText } from '../support/history-text';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, processExit, temporalCli, testConfig, writeVaultSecret } from '../support/stack';

const config = testConfig();
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
let tenant: TenantId;
let target: HttpTarget;
let worker: ChildProcess;
let workerLogs = '';
let client: StewardClient;


const definition = (reference: string) => `
id: call-with-secret
version: 1
input: { type: object, properties: { target: { type: string } } }
secrets: { api: "${reference}" }
start: call
nodes:
  call:
    type: tool
    tool: http
    request:
      method: POST
      url: "{{ input.target }}/echo"
      headers: { Authorization: "Bearer {{ secrets.api }}" }
      body: { token_echoed_back: "{{ secrets.api }}" }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: nodes.call.output }
`;

beforeAll(async () => {
  tenant = await createTestTenant('vault');
  await writeVaultSecret(`tenants/${tenant}/tools`, { api_token: CANARY });
  await writeVaultSecret(`tenants/someone-else/tools`, { api_token: `${CANARY}-other` });
  target = await startHttpTarget();
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (chunk) => (workerLogs += chunk));
  worker.stderr!.on('data', (chunk) => (workerLogs += chunk));
  client = await StewardClient.connect({ tenant });
});
afterAll(async () => {
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
  await target?.close();
});

test('the target receives the Vault value; history, logs and audit trail hold no trace of it', async () => {
  await client.register(definition(`vault:secret/data/tenants/${tenant}/tools#api_token`));
  const run = await client.start({ workflow: 'call-with-secret', input: { target: target.url } });
  const output = (await run.result()) as { received: { token_echoed_back: string } };

  const request = target.requests.find((r) => r.path === '/echo');
  expect(request?.headers.authorization).toBe(`Bearer ${CANARY}`);
  // The target echoed the secret back; the activity scrubbed it before the result left the worker.
  expect(output.received.token_echoed_back).toBe('[secret:api]');

  const plain = new Client({ connection: await Connection.connect(loadConnectionOptions(config.localTemporalAddress)), namespace: tenant });
  const history = historyText(await plain.workflow.getHandle(run.workflowId).fetchHistory());
  await plain.connection.close();
  // History holds ciphertext only (the codec); the canary must not appear in it in any form.
  expect(history).not.toContain(CANARY);
  const shown = await temporalCli(['workflow', 'show', '--namespace', tenant, '--workflow-id', run.workflowId, '--output', 'json']);
  expect(shown.code).toBe(0);
  expect(historyText(JSON.parse(shown.stdout))).not.toContain(CANARY);

  expect(workerLogs.length).toBeGreaterThan(0);
  expect(workerLogs).not.toContain(CANARY);

  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  const audit = await db.query(`SELECT * FROM audit_events WHERE tenant_id = $1`, [tenant]).finally(() => db.end());
  expect(audit.rows.map((row) => row.event_type)).toContain('security.secret_scrubbed');
  expect(JSON.stringify(audit.rows)).not.toContain(CANARY);
});

test("a reference to another tenant's Vault path is denied, fails the step, and is audited", async () => {
  const other = definition('vault:secret/data/tenants/someone-else/tools#api_token').replace('version: 1', 'version: 2');
  await client.register(other);
  const run = await client.start({ workflow: 'call-with-secret', version: 2, input: { target: target.url } });
  await expect(run.result()).rejects.toMatchObject({ cause: { type: 'SECRET_DENIED', details: [{ node: 'call' }] } });
  const events = await client.listAuditEvents();
  expect(events.find((e) => e.type === 'security.secret_denied')).toMatchObject({ payload: { reference_name: 'api' } });
  expect(JSON.stringify(events)).not.toContain(CANARY);
  expect(target.requests.filter((r) => r.path === '/echo')).toHaveLength(1);
});

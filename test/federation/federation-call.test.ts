// Two organisations on loopback: org A's run calls org B's agent over A2A (mutual TLS, a bearer token B issued),
// B's run completes as an ordinary run of B's tenant, and A's run gets its output. The token and the private key
// appear nowhere but where they are used: not in either side's Temporal history (raw, SDK and `temporal workflow
// show`), logs, audit trail, or any table row.
import { spawn, type ChildProcess } from 'node:child_process';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { historyText } from '../support/history-text';
import { createTestTenant, processExit, startTenantWorker, temporalCli, testConfig, writeVaultSecret, type RunningWorker } from '../support/stack';
import { clientCertificate, createOrganisation, federate, tokenSecret, federationAudit, operatorPool, startFederationServer, type FederationEndpoint, type Organisation } from './federation-fixture';

const config = testConfig();
let orgA: Organisation;
let orgB: Organisation;
let tenantA: TenantId;
let tenantB: TenantId;
let endpoint: FederationEndpoint;
let admin: Pool;
let workerB: RunningWorker;
let workerA: ChildProcess;
let workerALogs = '';
const serverLogs: string[] = [];
let clientA: StewardClient;
let clientB: StewardClient;
let token: string;
let keyPem: string;

const quote = `
id: quote
version: 1
input: { type: object, required: [item], properties: { item: { type: string } } }
start: price
nodes:
  price: { type: set, values: { price: 42 }, next: done }
  done: { type: end, output: "{'item': input.item, 'price': vars.price, 'by': 'org-b'}" }
`;

const buyer = (agentUrl: string) => `
id: buy
version: 1
input: { type: object, properties: { item: { type: string } } }
secrets:
  org_b_token: "vault:secret/data/tenants/${tenantA}/federation#org_b_token"
  client_cert: "vault:secret/data/tenants/${tenantA}/federation#client_cert"
  client_key: "vault:secret/data/tenants/${tenantA}/federation#client_key"
  org_b_ca: "vault:secret/data/tenants/${tenantA}/federation#org_b_ca"
start: ask
nodes:
  ask:
    type: a2a
    agent_url: "${agentUrl}"
    token: "{{ secrets.org_b_token }}"
    client_certificate: "{{ secrets.client_cert }}"
    client_key: "{{ secrets.client_key }}"
    server_ca: "{{ secrets.org_b_ca }}"
    input: { item: "{{ input.item }}" }
    poll_interval: 300ms
    timeout: 2m
    next: done
  done: { type: end, output: nodes.ask.output.output }
`;

beforeAll(async () => {
  [orgA, orgB, tenantA, tenantB] = await Promise.all([createOrganisation('org-a'), createOrganisation('org-b'), createTestTenant('fed-a'), createTestTenant('fed-b')]);
  admin = operatorPool();
  endpoint = await startFederationServer(orgB, serverLogs);
  [workerB, clientA, clientB] = await Promise.all([startTenantWorker(tenantB), StewardClient.connect({ tenant: tenantA }), StewardClient.connect({ tenant: tenantB })]);
  await clientB.register(quote);
  token = await federate(admin, tenantB, 'quote', orgA);
  const certificate = await clientCertificate(orgA);
  keyPem = certificate.keyPem;
  await writeVaultSecret(`tenants/${tenantA}/federation`, { org_b_token: token, client_cert: certificate.certPem, client_key: certificate.keyPem, org_b_ca: endpoint.serverCa });
  await clientA.register(buyer(`${endpoint.url}/a2a/${tenantB}/quote`));
  workerA = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenantA], { stdio: ['ignore', 'pipe', 'pipe'] });
  workerA.stdout!.on('data', (chunk) => (workerALogs += chunk));
  workerA.stderr!.on('data', (chunk) => (workerALogs += chunk));
});
afterAll(async () => {
  workerA?.kill('SIGTERM');
  if (workerA) await processExit(workerA);
  await Promise.all([clientA?.close(), clientB?.close(), workerB?.stop(), endpoint?.close(), admin?.end()]);
});

let callerRun: string;
let servedRun: string;

test("org A's run calls org B's agent; B's run completes and A's run gets its output", async () => {
  const run = await clientA.start({ workflow: 'buy', input: { item: 'widgets' } });
  callerRun = run.workflowId;
  expect(await run.result()).toEqual({ item: 'widgets', price: 42, by: 'org-b' });

  // B's side: an ordinary run of B's tenant, in B's namespace, started for A's agent and audited as such.
  const served = (await federationAudit(tenantB)).find((event) => event.type === 'federation.run_started');
  expect(served).toMatchObject({ agentId: 'buyer-bot', payload: { served_agent: 'quote', certificate_identity: 'buyer-bot', method: 'message/send' } });
  servedRun = served!.workflowId!;
  expect(servedRun).toMatch(/^a2a\/buyer-bot\/quote\//);
  expect(await (await clientB.getRun(servedRun)).status()).toBe('COMPLETED');
  expect((await federationAudit(tenantB)).filter((event) => event.type === 'federation.call').map((event) => event.payload?.method)).toEqual(
    expect.arrayContaining(['message/send', 'tasks/get']),
  );
  // A's side: the outbound calls are in A's trail, by host and task, with the final state.
  const outbound = (await federationAudit(tenantA)).filter((event) => event.type === 'federation.outbound');
  expect(outbound.at(-1)).toMatchObject({ workflowId: callerRun, step: 'ask', payload: { method: 'tasks/get', task_id: servedRun, state: 'completed' } });
}, 120_000);

test('the token and the private key appear in no history, log, audit entry or table row', async () => {
  expect(callerRun).toBeDefined();
  const keyBody = keyPem.split('\n').slice(1, -2).join('');
  // The token's random part, and parts of the key past the header every P-256 key shares.
  const canaries = [token, tokenSecret(token), keyBody.slice(50, 90), keyBody.slice(-40)];
  const connection = await Connection.connect(loadConnectionOptions(config.localTemporalAddress));
  const texts: string[] = [];
  try {
    for (const [tenant, workflowId] of [[tenantA, callerRun], [tenantB, servedRun]] as const) {
      const plain = new Client({ connection, namespace: tenant });
      texts.push(historyText(await plain.workflow.getHandle(workflowId).fetchHistory()));
      const shown = await temporalCli(['workflow', 'show', '--namespace', tenant, '--workflow-id', workflowId, '--output', 'json']);
      expect(shown.code).toBe(0);
      texts.push(historyText(JSON.parse(shown.stdout)));
    }
  } finally {
    await connection.close();
  }
  // Decoded with the tenant's keys too: the run's own view of its history.
  texts.push(JSON.stringify(await clientA.showRun(callerRun)), JSON.stringify(await clientB.showRun(servedRun)));
  expect(workerALogs.length).toBeGreaterThan(0);
  texts.push(workerALogs, serverLogs.join(''));
  texts.push(JSON.stringify(await federationAudit(tenantA)), JSON.stringify(await federationAudit(tenantB)));
  texts.push(await everyTableRow());
  for (const text of texts) for (const canary of canaries) expect(text).not.toContain(canary);
  // The token's hash is what B keeps: the scan above must have looked at the settings row holding it.
  expect(texts.at(-1)).toContain('"sha256"');
}, 60_000);

/** Every row of every table in the database, as JSON text, read as the operator (no row-level security). */
async function everyTableRow(): Promise<string> {
  const db = new PgClient({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ schemaname: string; tablename: string }>(
      `SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    const rows: string[] = [];
    for (const { schemaname, tablename } of tables.rows) {
      const result = await db.query(`SELECT row_to_json(t)::text AS row FROM "${schemaname}"."${tablename}" t`);
      rows.push(...result.rows.map((row: { row: string }) => row.row));
    }
    return rows.join('\n');
  } finally {
    await db.end();
  }
}

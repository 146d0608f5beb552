// The env secret backend from a hostile tenant's side: with the default prefix, tenant B's definition naming tenant
// A's variable (or a variable every tenant could once read) fails its step with SECRET_DENIED, audited in B's
// trail, and the value reaches neither the target nor B's run; B's own variable still resolves.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StewardClient } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { STEWARD_BIN } from '../support/cli';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, processExit } from '../support/stack';

const CANARY = `env-canary-${randomBytes(12).toString('hex')}`;
let acme: TenantId;
let globex: TenantId;
let target: HttpTarget;
let worker: ChildProcess;
let workerLogs = '';
let client: StewardClient;

/** The variable prefix of a tenant under the default STEWARD_SECRET_{tenant}_ (`-` written `__`). */
const envPrefix = (tenant: TenantId) => `STEWARD_SECRET_${tenant.toUpperCase().replace(/-/g, '__')}_`;

const definition = (version: number, reference: string) => `
id: call-with-env-secret
version: ${version}
input: { type: object, properties: { target: { type: string } } }
secrets: { api: "env:${reference}" }
start: call
nodes:
  call:
    type: tool
    tool: http
    request:
      method: POST
      url: "{{ input.target }}/echo"
      headers: { Authorization: "Bearer {{ secrets.api }}" }
    retry: { max_attempts: 1 }
    next: done
  done: { type: end, output: nodes.call.output }
`;

beforeAll(async () => {
  [acme, globex] = await Promise.all([createTestTenant('envacme'), createTestTenant('envglobex')]);
  target = await startHttpTarget();
  const env = {
    ...process.env,
    [`${envPrefix(acme)}API`]: CANARY,
    STEWARD_SECRET_API: `${CANARY}-shared`,
    [`${envPrefix(globex)}API`]: 'globex-own-token',
  };
  delete env.STEWARD_SECRET_ENV_PREFIX;
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', globex], { stdio: ['ignore', 'pipe', 'pipe'], env });
  worker.stdout!.on('data', (chunk) => (workerLogs += chunk));
  worker.stderr!.on('data', (chunk) => (workerLogs += chunk));
  client = await StewardClient.connect({ tenant: globex });
});
afterAll(async () => {
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
  await target?.close();
});

test.each([
  ["tenant A's variable", () => `${envPrefix(acme)}API`, 1],
  ['a variable without a tenant (readable by every tenant under the old default)', () => 'STEWARD_SECRET_API', 2],
])("tenant B's definition naming %s is denied, fails the step and is audited; the value goes nowhere", async (_what, name, version) => {
  await client.register(definition(version, name()));
  const run = await client.start({ workflow: 'call-with-env-secret', version, input: { target: target.url } });
  await expect(run.result()).rejects.toMatchObject({ cause: { type: 'SECRET_DENIED', details: [{ node: 'call' }] } });
  const denied = (await client.listAuditEvents()).filter((event) => event.type === 'security.secret_denied');
  expect(denied.at(-1)).toMatchObject({ payload: { reference_name: 'api', reason: expect.stringContaining(envPrefix(globex)) } });
  expect(JSON.stringify(await client.listAuditEvents())).not.toContain(CANARY);
  expect(target.requests.some((request) => JSON.stringify(request).includes(CANARY))).toBe(false);
  expect(workerLogs).not.toContain(CANARY);
});

test("tenant B's own variable resolves", async () => {
  await client.register(definition(3, `${envPrefix(globex)}API`));
  const run = await client.start({ workflow: 'call-with-env-secret', version: 3, input: { target: target.url } });
  await run.result();
  expect(target.requests.filter((request) => request.path === '/echo').at(-1)?.headers.authorization).toBe('Bearer globex-own-token');
});

// The local stack's lifecycle, on ports and a state folder of its own: start, status, idempotent restart, stop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isAlive, isPortOpen } from '../../dev-server/processes';
import { readStackFile } from '../../src/config/stack-file';
import { runCli } from '../support/cli';

const stateDir = mkdtempSync(join(tmpdir(), 'steward-dev-test-'));
const { DATABASE_URL, TEMPORAL_ADDRESS, ...inherited } = process.env;
const env: NodeJS.ProcessEnv = {
  ...inherited,
  STEWARD_STATE_DIR: stateDir,
  STEWARD_TEMPORAL_PORT: '17233',
  STEWARD_TEMPORAL_UI_PORT: '18233',
  STEWARD_POSTGRES_PORT: '15432',
  STEWARD_STS_PORT: '14444',
  STEWARD_VAULT_PORT: '18200',
  STEWARD_LLM_PORT: '14010',
  STEWARD_GATEWAY_PORT: '14020',
  STEWARD_CODEC_PORT: '14040',
  STEWARD_JAEGER_UI_PORT: '16687',
  STEWARD_OTLP_PORT: '14318',
  STEWARD_OTLP_GRPC_PORT: '14317',
  STEWARD_EXPENSES_PORT: '14030',
  STEWARD_FEDERATION_PORT: '14050',
};

afterAll(async () => {
  await runCli(['dev', 'stop'], { env });
  // The stack's Postgres data lives outside the temporary state folder when running as root: remove both.
  const dataDir = readStackFile(stateDir)?.postgres.data_dir;
  if (dataDir) rmSync(dataDir.startsWith('/var/lib/steward/') ? dirname(dataDir) : dataDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

test('`steward dev --detach` starts every part; status --json reports them; stop leaves no process behind', async () => {
  const started = await runCli(['dev', '--detach'], { env, timeoutMs: 180_000 });
  expect(started.stderr).toContain('starting PostgreSQL on 127.0.0.1:15432');
  expect(started.code).toBe(0);

  const status = await runCli(['dev', 'status', '--json'], { env });
  expect(status.code).toBe(0);
  const parts = JSON.parse(status.stdout);
  expect(parts).toMatchObject({
    temporal: { address: '127.0.0.1:17233', ui: 'http://127.0.0.1:18233', healthy: true },
    postgres: { url: 'postgres://postgres@127.0.0.1:15432/steward', healthy: true },
    worker: { healthy: true },
    vault: { address: 'http://127.0.0.1:18200', healthy: true },
    jaeger: { ui: 'http://127.0.0.1:16687', otlp_endpoint: 'http://127.0.0.1:14318', healthy: true },
    sts: { issuer: 'http://127.0.0.1:14444', healthy: true },
    llm: { base_url: 'http://127.0.0.1:14010', healthy: true },
    approvals_gateway: { url: 'http://127.0.0.1:14020', healthy: true },
    expenses_api: { url: 'http://127.0.0.1:14030', healthy: true },
    codec_server: { url: 'http://127.0.0.1:14040', healthy: true },
    federation_server: { url: 'https://127.0.0.1:14050', healthy: true },
    logs_dir: join(stateDir, 'logs'),
  });
  expect(parts.temporal.binary).toMatch(/temporal$/);

  const again = await runCli(['dev', '--detach'], { env });
  expect(again.code).toBe(0);
  expect(again.stderr).not.toContain('starting');
  expect(JSON.parse((await runCli(['dev', 'status', '--json'], { env })).stdout).worker.pid).toBe(parts.worker.pid);

  const stopped = await runCli(['dev', 'stop'], { env });
  expect(stopped.code).toBe(0);
  expect(stopped.stderr).toContain('stopped worker, federation_server, codec_server, approvals_gateway, expenses_api, llm, sts, jaeger, vault, temporal, postgres');
  expect(isAlive(parts.worker.pid)).toBe(false);
  for (const port of [17233, 18233, 15432, 14444, 14010, 14020, 14040, 14050, 18200, 16687, 14318, 14317]) expect(await isPortOpen(port)).toBe(false);

  const after = await runCli(['dev', 'status', '--json'], { env });
  expect(after.code).toBe(1);
  expect(JSON.parse(after.stdout)).toMatchObject({
    temporal: { healthy: false },
    postgres: { healthy: false },
    worker: { healthy: false },
    vault: { healthy: false },
    jaeger: { healthy: false },
    sts: { healthy: false },
    llm: { healthy: false },
    approvals_gateway: { healthy: false },
    codec_server: { healthy: false },
    federation_server: { healthy: false },
    expenses_api: { healthy: false },
  });
}, 240_000);

test('an approval pending when the worker is SIGKILLed and the whole stack restarts is approved afterwards; the run completes once', async () => {
  const stsEnv = { ...env, STEWARD_STS_URL: 'http://127.0.0.1:14444' };
  expect((await runCli(['dev', '--detach'], { env, timeoutMs: 180_000 })).code).toBe(0);
  // Started by a verified user, so that the approval can rule out self-approval.
  const starter = (await runCli(['dev', 'token', 'mint', '--user', 'alice', '--tenant', 'demo'], { env: stsEnv })).stdout.trim();
  const started = await runCli(['run', 'test/e2e/fixtures/finance-approval.yaml', '--tenant', 'demo', '--json', '--user-token', starter], { env });
  expect(started.code).toBe(0);
  const workflowId: string = JSON.parse(started.stdout).workflow_id;
  await until('the pending approval', async () => {
    const pending = JSON.parse((await runCli(['approvals', 'list', '--tenant', 'demo', '--json'], { env })).stdout || '[]');
    return pending.some((p: { workflowId: string }) => p.workflowId === workflowId) ? true : undefined;
  });

  const { worker, temporal } = JSON.parse((await runCli(['dev', 'status', '--json'], { env })).stdout);
  process.kill(worker.pid, 'SIGKILL');
  expect((await runCli(['dev', 'stop'], { env })).code).toBe(0);
  expect(await isPortOpen(17233)).toBe(false);
  expect((await runCli(['dev', '--detach'], { env, timeoutMs: 180_000 })).code).toBe(0);

  const token = (await runCli(['dev', 'token', 'mint', '--user', 'carol', '--groups', 'finance-managers', '--tenant', 'demo'], { env: stsEnv })).stdout.trim();
  const approved = await runCli(['approve', workflowId, '--tenant', 'demo', '--token', token], { env });
  expect(approved.stderr).toBe('');
  expect(approved.stdout).toBe('approved by carol\n');

  const history = await until('the completed run', async () => {
    const shown = spawnSync(temporal.binary, ['workflow', 'show', '--namespace', 'demo', '--workflow-id', workflowId, '--address', '127.0.0.1:17233', '--output', 'json'], { encoding: 'utf8' });
    const events = shown.status === 0 ? (JSON.parse(shown.stdout).events as Array<Record<string, unknown>>) : [];
    return events.some((e) => e.workflowExecutionCompletedEventAttributes) ? events : undefined;
  });
  expect(history.filter((e) => e.workflowExecutionCompletedEventAttributes)).toHaveLength(1);
  expect(history.filter((e) => (e.markerRecordedEventAttributes as { markerName?: string } | undefined)?.markerName === 'core_local_activity')).toHaveLength(4);
}, 300_000);

test('a tenant created on the local stack runs both examples as shipped: its secrets are seeded and named relative to it', async () => {
  expect((await runCli(['dev', '--detach'], { env, timeoutMs: 180_000 })).code).toBe(0);
  const created = await runCli(['tenant', 'create', 'initech', '--json'], { env });
  expect(created.stderr).toBe('');
  expect(JSON.parse(created.stdout)).toMatchObject({ id: 'initech', status: 'active', local_stack_seeded: true });

  const applicant = { full_name: 'Jane Roe', email: 'jane.roe@example.com', ssn: '123-45-6789', phone: '+1 415 555 0134', country: 'US' };
  const kyc = await runCli(['run', 'examples/kyc-onboarding.yaml', '--tenant', 'initech', '--wait', '--json', '--input', JSON.stringify(applicant)], { env, timeoutMs: 120_000 });
  expect(kyc.stderr).toBe('');
  expect(JSON.parse(kyc.stdout)).toMatchObject({ namespace: 'initech', status: 'COMPLETED', result: { decision: 'approved', risk: 'low' } });

  // The expense example exactly as shipped, but for the addresses of this stack's STS and expenses API.
  const expenseFile = join(stateDir, 'expense-approval.yaml');
  writeFileSync(expenseFile, readFileSync('examples/expense-approval.yaml', 'utf8').replaceAll('127.0.0.1:4444', '127.0.0.1:14444').replaceAll('127.0.0.1:4030', '127.0.0.1:14030'));
  const stsEnv = { ...env, STEWARD_STS_URL: 'http://127.0.0.1:14444' };
  const alice = (await runCli(['dev', 'token', 'mint', '--user', 'alice', '--tenant', 'initech'], { env: stsEnv })).stdout.trim();
  const input = { amount: 250, description: 'Team lunch' };
  const expense = await runCli(['run', expenseFile, '--tenant', 'initech', '--wait', '--json', '--user-token', alice, '--input', JSON.stringify(input)], { env, timeoutMs: 120_000 });
  expect(expense.stderr).toBe('');
  expect(JSON.parse(expense.stdout)).toMatchObject({ namespace: 'initech', status: 'COMPLETED' });
}, 300_000);

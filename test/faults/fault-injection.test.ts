// Fault injection on the real stack: with several runs in flight, the activities' database, Vault and the STS each
// become unreachable for 20 s, and a Temporal server is killed and started again 20 s later. Every run completes, no
// Worker stays dead, each irreversible call is made under one idempotency key (repeats only with that key), every
// call that got through is in the audit trail, and the worker process's health endpoint and `steward dev status`
// said unhealthy while it could serve nothing and healthy again after. Through the Temporal restart, runs are also
// mid model call or waiting for an approval: each is approved once the server is back, and each call the model
// answered is in the ledger once. Through the database outage, runs are mid model call (the model answers while the
// database is down: its ledger row is settled once it is back, and the model is not asked again) or decided while it
// is down (through the decide update, told to send it again; by raw signal, kept and counted once it is back).
// Each outage has a tenant and a Worker of its own, so the four run at the same time: the database, Vault and STS are
// cut at proxies in front of the shared stack, and the Temporal server killed is this file's own, so the other test
// files using the shared stack see nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { DEV_MODEL_SERVER_KEY } from '../../dev-server/model-server';
import type { RecordedRequest } from '../../dev-server/model-server/recorder';
import { processStartTicks } from '../../dev-server/processes';
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import { StewardClient, type ApprovalAnswer, type RunHandle } from '../../src/client';
import { readStackFile, writeStackFile } from '../../src/config/stack-file';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import { listRunLedger } from '../../src/llm/ledger';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { dropTenantData } from '../../src/tenancy/tenant-registry';
import { runCli, STEWARD_BIN } from '../support/cli';
import { startDedicatedTemporal, type DedicatedTemporal } from '../support/dedicated-temporal';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createTestTenant, processExit, stsUrl, testConfig, writeVaultSecret } from '../support/stack';
import type { ProxiedWorker } from '../support/proxied-worker';
import type { TcpProxy } from '../support/tcp-proxy';
import { startOutageTenant, type OutageTenant } from './outage-fixtures';

const OUTAGE_MS = 20_000;
const RUNS_PER_OUTAGE = 3;
/** Review runs caught at each of their steps (the llm call, the approval) when the Temporal server is killed. */
const REVIEWS_PER_STEP = 2;
/** The worker process's health port: in the test stack's range, beside the dedicated Temporal server's ports. */
const HEALTH_PORT = testConfig().env.STEWARD_TEMPORAL_PORT + 110;
/** The stack's model server, which the worker process calls for the review runs' llm step. */
const MODEL_SERVER_URL = `http://127.0.0.1:${testConfig().env.STEWARD_LLM_PORT}`;
/**
 * How long the model takes over a review's first call: long enough that a call under way when the server is killed (or
 * the database cut) is answered during the outage, and only the first, so a repeat of it after does not wait again.
 */
const SLOW_MODEL_MS = 8_000;
/** The dedicated Temporal server's name, and the folder of the stack file `steward dev status` reads for it. */
const KILLED_TEMPORAL = 'fault-injection-temporal';
/** How long after the database is back a run decided during the outage may take to complete before it counts as stranded. */
const DECIDED_WITHIN_MS = 60_000;

type Workflow = 'charge' | 'delegated-charge';
type Outage = 'database' | 'vault' | 'sts' | 'temporal';

/** One outage's world: a tenant, the client that starts its runs, and the target its tool steps call. */
interface Stage {
  tenant: TenantId;
  client: StewardClient;
  target: HttpTarget;
}

const pool = createPool(testConfig().appDatabaseUrl, { max: 2 });
let api: ExpensesApi;
let temporal: DedicatedTemporal;
const outageTenants: OutageTenant[] = [];
const stages: Partial<Record<Outage, Stage>> = {};
let workerProcess: ChildProcess | undefined;
/** A review run through the Temporal restart: where it was when the server was killed, and the approver's answer. */
interface Review {
  run: RunHandle;
  note: string;
  at: 'llm' | 'approval';
  decision: ApprovalAnswer;
}

/** What `steward dev status --json` said of a stack whose Temporal server and worker are this file's. */
interface DevStatus {
  code: number | null;
  temporal: { healthy: boolean };
  worker: { healthy: boolean; serving?: number; expected?: number };
}

interface TemporalOutcome {
  charges: RunHandle[];
  reviews: Review[];
  /** The model calls of the reviews caught at their llm step, as the model server saw them. */
  modelCalls: RecordedRequest[];
  killedAt: number;
  restartedAt: number;
  statusDuring: DevStatus;
  statusAfter: DevStatus;
}

interface DatabaseOutcome {
  charges: RunHandle[];
  /** Reviews whose model call was under way when the database was cut, and the calls as the model server saw them. */
  answeredDuringOutage: Array<{ run: RunHandle; note: string }>;
  modelCalls: RecordedRequest[];
  /** A review decided through the decide update while the database was down, and sent again once it was back. */
  byUpdate: { run: RunHandle; duringOutage: ApprovalAnswer; resent: ApprovalAnswer };
  /** A review decided by a raw `approval` signal while the database was down, never sent again, and whether it completed. */
  bySignal: { run: RunHandle; completed: boolean };
  cutAt: number;
  restoredAt: number;
}

let outcomes: Record<'vault' | 'sts', Promise<RunHandle[]>> & { database: Promise<DatabaseOutcome>; temporal: Promise<TemporalOutcome> };
let healthDuringTemporalOutage: Promise<HealthLog>;

beforeAll(async () => {
  api = await startExpensesApi({ port: 0, issuer: stsUrl() });
  // First and alone: it points this process's new Temporal connections at the dedicated server while it runs.
  const killed = await startKilledTemporalStage();
  const [database, vault, sts] = await Promise.all([
    startProxiedStage('database'),
    startProxiedStage('vault'),
    startProxiedStage('sts'),
    untilHealth((status) => status === 200, 90_000),
  ]);
  outcomes = {
    database: throughDatabaseCut(database.stage, database.proxies.database),
    vault: throughCut(vault.stage, vault.proxies.vault, 'charge'),
    sts: throughCut(sts.stage, sts.proxies.sts, 'delegated-charge'),
    temporal: throughTemporalRestart(killed),
  };
  // Each test awaits its own outcome; none is left unhandled meanwhile.
  for (const outcome of Object.values(outcomes)) outcome.catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(outcomes ?? {}));
  workerProcess?.kill('SIGTERM');
  if (workerProcess) await processExit(workerProcess);
  await Promise.all(Object.values(stages).map((stage) => stage.target.close()));
  await Promise.all(outageTenants.map((served) => served.stop()));
  await stages.temporal?.client.close();
  await temporal?.stop();
  // Its namespace went with the dedicated server: the other suites' every-tenant workers must not keep trying it.
  if (stages.temporal) await forgetTenant(stages.temporal.tenant);
  await api?.stop();
  await pool.end();
});

async function forgetTenant(tenant: TenantId): Promise<void> {
  const admin = createPool(testConfig().databaseUrl, { max: 1 });
  try {
    await dropTenantData(admin, tenant);
  } finally {
    await admin.end();
  }
}

/** A tenant whose Worker runs in this process and reaches the database, Vault and the STS through proxies. */
async function startProxiedStage(outage: Exclude<Outage, 'temporal'>): Promise<{ stage: Stage; proxies: ProxiedWorker['proxies'] }> {
  const [served, target] = await Promise.all([startOutageTenant(`faults-${outage}`, 'fault-injection-token'), startHttpTarget()]);
  outageTenants.push(served);
  const stage = { tenant: served.tenant, client: served.client, target };
  stages[outage] = stage;
  await registerDefinitions(stage.client, `${served.proxied.through(served.proxied.proxies.sts, stsUrl())}/token`);
  if (outage === 'database') {
    await Promise.all([writeVaultSecret(`tenants/${served.tenant}/llm`, { openai: DEV_MODEL_SERVER_KEY }), registerReview(stage.client)]);
  }
  return { stage, proxies: served.proxied.proxies };
}

/**
 * A tenant on this file's own Temporal server, served by a real `steward worker` process (the supervisor) whose
 * health endpoint is polled through the restart.
 */
async function startKilledTemporalStage(): Promise<Stage> {
  temporal = await startDedicatedTemporal(KILLED_TEMPORAL);
  // Connections made while this is set reach the dedicated server: the tenant's namespace and the stage's client.
  const shared = process.env.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  try {
    const tenant = await createTestTenant('faults-temporal');
    await Promise.all([
      writeVaultSecret(`tenants/${tenant}/tools`, { api_token: 'fault-injection-token' }),
      writeVaultSecret(`tenants/${tenant}/llm`, { openai: DEV_MODEL_SERVER_KEY }),
    ]);
    workerProcess = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant, '--health-port', String(HEALTH_PORT)], {
      env: { ...process.env, STEWARD_TENANT_REFRESH_MS: '1000', STEWARD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    writeKilledTemporalStackFile(workerProcess.pid!);
    const [client, target] = await Promise.all([StewardClient.connect({ tenant }), startHttpTarget()]);
    const stage = { tenant, client, target };
    stages.temporal = stage;
    await Promise.all([registerDefinitions(client, `${stsUrl()}/token`), registerReview(client)]);
    return stage;
  } finally {
    process.env.TEMPORAL_ADDRESS = shared;
  }
}

/** The folder whose stack file names the dedicated Temporal server and the worker process, for `steward dev status`. */
function killedTemporalStateDir(): string {
  return join(testConfig().env.STEWARD_STATE_DIR, KILLED_TEMPORAL);
}

/** The test stack's parts, with this file's Temporal server and worker process in place of its own. */
function writeKilledTemporalStackFile(workerPid: number): void {
  const shared = readStackFile(testConfig().env.STEWARD_STATE_DIR);
  if (!shared) throw new Error('the test stack has no stack file');
  // the stack's federation server is probed with the CA kept in its state folder
  cpSync(join(testConfig().env.STEWARD_STATE_DIR, 'federation'), join(killedTemporalStateDir(), 'federation'), { recursive: true });
  writeStackFile(killedTemporalStateDir(), {
    ...shared,
    temporal: { ...shared.temporal, address: temporal.address, pid: undefined },
    worker: { pid: workerPid, start_ticks: processStartTicks(workerPid), health_url: `http://127.0.0.1:${HEALTH_PORT}/healthz` },
  });
}

async function devStatus(): Promise<DevStatus> {
  const result = await runCli(['dev', 'status', '--json'], { env: { ...process.env, STEWARD_STATE_DIR: killedTemporalStateDir() } });
  const { temporal: server, worker } = JSON.parse(result.stdout) as Omit<DevStatus, 'code'>;
  return { code: result.code, temporal: { healthy: server.healthy }, worker: { healthy: worker.healthy, serving: worker.serving, expected: worker.expected } };
}

/** The first status `accept`s, or the last one read once `timeoutMs` has passed (a loaded machine may time a probe out). */
async function untilDevStatus(accept: (status: DevStatus) => boolean, timeoutMs: number): Promise<DevStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await devStatus();
    if (accept(status) || Date.now() > deadline) return status;
    await sleep(1_000);
  }
}

/**
 * A secret-resolving step, then an irreversible call (audited before and after it is sent), each with a small retry
 * budget of its own, as an outage must not spend it; and a delegated step, whose user token is exchanged at the STS
 * for one scoped to the expenses API.
 */
async function registerDefinitions(client: StewardClient, tokenEndpoint: string): Promise<void> {
  await client.register(`
id: charge
version: 1
input: { type: object, properties: { target: { type: string } } }
secrets: { api: "vault:~/tools#api_token" }
start: lookup
nodes:
  lookup:
    type: tool
    tool: http
    request: { method: GET, url: "{{ input.target }}/customers", headers: { Authorization: "Bearer {{ secrets.api }}" } }
    retry: { max_attempts: 2 }
    next: charge
  charge:
    type: tool
    tool: http
    irreversible: true
    approval: waived
    reason: test charges are pre-approved
    request: { method: POST, url: "{{ input.target }}/charges", body: { amount: 12 } }
    retry: { max_attempts: 2 }
    next: done
  done: { type: end, output: "{'charged': nodes.charge.output.ok}" }
`);
  await client.register(`
id: delegated-charge
version: 1
oauth:
  token_endpoint: ${tokenEndpoint}
  client_id: expense-agent
  client_secret: "{{ secrets.expense_agent }}"
  audience: expenses-api
secrets: { expense_agent: "vault:~/agents#expense_agent" }
start: submit
nodes:
  submit:
    type: tool
    tool: http
    request: { method: POST, url: "${api.url}/expenses", body: { amount: 12, description: "train ticket", category: travel } }
    oauth_scopes: { required_scopes: ["expenses:write"], audience: expenses-api }
    next: done
  done: { type: end, output: "{'charged': true}" }
`);
}

/** A model call, then an approval by carol: a run started by alice waits there for her decision. */
async function registerReview(client: StewardClient): Promise<void> {
  await client.register(`
id: review
version: 1
input: { type: object, properties: { prompt: { type: string } } }
secrets: { llm: "vault:~/llm#openai" }
start: summarize
nodes:
  summarize:
    type: llm
    provider: openai
    base_url: ${MODEL_SERVER_URL}/v1
    model: steward-local
    api_key: "{{ secrets.llm }}"
    prompt: "{{ input.prompt }}"
    next: sign_off
  sign_off: { type: approval, approvers: { users: [carol] }, timeout: 1h, next: done }
  done: { type: end, output: "{'summary': nodes.summarize.output, 'approval': nodes.sign_off.output}" }
`);
}

async function startRuns(stage: Stage, workflow: Workflow): Promise<RunHandle[]> {
  return Promise.all(
    Array.from({ length: RUNS_PER_OUTAGE }, async () =>
      workflow === 'charge'
        ? stage.client.start({ workflow, input: { target: stage.target.url } })
        : stage.client.start({ workflow, input: {}, userToken: (await mintDevToken(stsUrl(), { user: 'alice', tenant: stage.tenant })).accessToken }),
    ),
  );
}

/** Resolves once every run has made its first call (its lookup): from then on, an outage hits its steps. */
async function untilFirstCalls(stage: Stage, runs: RunHandle[]): Promise<void> {
  while (stage.target.requests.filter((request) => request.path === '/customers').length < runs.length) await sleep(50);
}

/**
 * Cuts `proxy` before the runs start (the client reaches the stack directly), or once each has made its first call
 * (so the outage hits the steps, not the run's start), restores it after the outage, and waits for every run.
 */
async function throughCut(stage: Stage, proxy: TcpProxy, workflow: Workflow, cut: 'before-start' | 'after-first-call' = 'before-start'): Promise<RunHandle[]> {
  if (cut === 'before-start') await proxy.cut();
  const runs = await startRuns(stage, workflow);
  if (cut === 'after-first-call') {
    await untilFirstCalls(stage, runs);
    await proxy.cut();
  }
  await sleep(OUTAGE_MS);
  await proxy.restore();
  await expectAllCharged(runs);
  return runs;
}

/**
 * Kills the Temporal server once the charges are under way and the reviews are mid model call or waiting for their
 * approval, starts it again after the outage, approves each review, and waits for every run.
 */
async function throughTemporalRestart(stage: Stage): Promise<TemporalOutcome> {
  const [atLlm, atApproval] = await Promise.all([startReviews(stage, 'llm'), startReviews(stage, 'approval')]);
  const [modelCalls] = await Promise.all([untilModelCalled(atLlm), Promise.all(atApproval.map(untilAwaitingApproval))]);
  // The charges start last, so the server is killed as soon as they have made their first call, before their charge.
  const charges = await startRuns(stage, 'charge');
  await untilFirstCalls(stage, charges);
  await temporal.kill();
  const killedAt = Date.now();
  const health = watchHealth();
  healthDuringTemporalOutage = health.answers;
  // Asked halfway through, once the worker's probes have found the server gone.
  await sleep(OUTAGE_MS / 2);
  const statusDuring = await devStatus();
  await sleep(killedAt + OUTAGE_MS - Date.now());
  health.stop();
  await temporal.start();
  const restartedAt = Date.now();
  // Health comes back on its own once the worker's next probe reaches the server again.
  await untilHealth((status) => status === 200, 60_000);
  const statusAfter = await untilDevStatus((status) => status.code === 0, 30_000);
  const [, reviews] = await Promise.all([
    expectAllCharged(charges),
    Promise.all([...atLlm.map((run) => approve(stage, run, 'llm')), ...atApproval.map((run) => approve(stage, run, 'approval'))]),
  ]);
  return {
    charges,
    reviews,
    modelCalls: (await recordedModelCalls()).filter((call) => modelCalls.some((seen) => seen.seq === call.seq)),
    killedAt,
    restartedAt,
    statusDuring,
    statusAfter,
  };
}

/**
 * Cuts the database once the charges have made their first call, the reviews caught at their llm step wait for the
 * (slow) model and the others wait for their approval. While it is down, carol decides one of the latter through the
 * decide update and the other by raw signal. Once it is back, she sends the refused decision again and approves the
 * rest; every run is awaited, a run left waiting counting as stranded.
 */
async function throughDatabaseCut(stage: Stage, proxy: TcpProxy): Promise<DatabaseOutcome> {
  const [atLlm, atApproval] = await Promise.all([startReviews(stage, 'llm'), startReviews(stage, 'approval')]);
  const [modelCalls] = await Promise.all([untilModelCalled(atLlm), Promise.all(atApproval.map(untilAwaitingApproval))]);
  const charges = await startRuns(stage, 'charge');
  await untilFirstCalls(stage, charges);
  await proxy.cut();
  const cutAt = Date.now();
  const [updated, signalled] = atApproval;
  const token = async () => (await mintDevToken(stsUrl(), { user: 'carol', tenant: stage.tenant })).accessToken;
  const duringOutage = await updated!.run.approve({ token: await token() });
  await signalled!.run.signal('approval', { decision: 'approve', token: await token(), node: 'sign_off' });
  await sleep(cutAt + OUTAGE_MS - Date.now());
  await proxy.restore();
  const restoredAt = Date.now();
  const resent = await updated!.run.approve({ token: await token() });
  const [, , completed] = await Promise.all([
    expectAllCharged(charges),
    Promise.all(atLlm.map((review) => approve(stage, review, 'llm'))),
    completesWithin(signalled!.run, DECIDED_WITHIN_MS),
    updated!.run.result(),
  ]);
  return {
    charges,
    answeredDuringOutage: atLlm,
    modelCalls: (await recordedModelCalls()).filter((call) => modelCalls.some((seen) => seen.seq === call.seq)),
    byUpdate: { run: updated!.run, duringOutage, resent },
    bySignal: { run: signalled!.run, completed },
    cutAt,
    restoredAt,
  };
}

/** Whether `run` completes within `ms`: one that does not is stranded, as no one will decide it again. */
async function completesWithin(run: RunHandle, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([run.result().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Review runs started by alice; those meant to be caught at their llm step ask for a slow first answer. */
async function startReviews(stage: Stage, at: Review['at']): Promise<Array<{ run: RunHandle; note: string }>> {
  return Promise.all(
    Array.from({ length: REVIEWS_PER_STEP }, async () => {
      const note = `review ${randomUUID()}`;
      const prompt = at === 'llm' ? `${note} !slow-once=${SLOW_MODEL_MS}` : note;
      const userToken = (await mintDevToken(stsUrl(), { user: 'alice', tenant: stage.tenant })).accessToken;
      return { run: await stage.client.start({ workflow: 'review', input: { prompt }, userToken }), note };
    }),
  );
}

async function recordedModelCalls(): Promise<RecordedRequest[]> {
  return ((await (await fetch(`${MODEL_SERVER_URL}/_recorded`)).json()) as { requests: RecordedRequest[] }).requests;
}

/** Resolves, with their calls, once the model server holds an unanswered call of each review. */
async function untilModelCalled(reviews: Array<{ note: string }>): Promise<RecordedRequest[]> {
  for (;;) {
    const calls = (await recordedModelCalls()).filter((call) => call.outcome === 'pending');
    const ofReviews = reviews.map(({ note }) => calls.find((call) => JSON.stringify(call.body).includes(note)));
    if (ofReviews.every((call) => call !== undefined)) return ofReviews as RecordedRequest[];
    await sleep(100);
  }
}

async function untilAwaitingApproval({ run }: { run: RunHandle }): Promise<void> {
  // A query is refused until the run's first workflow task is done, and while the server is recovering.
  const awaiting = () => run.progress().then((state) => state.status === 'awaiting_approval', () => false);
  while (!(await awaiting())) await sleep(100);
}

/** Once the review waits for its approval, carol approves it; her answer is kept for the test. */
async function approve(stage: Stage, review: { run: RunHandle; note: string }, at: Review['at']): Promise<Review> {
  await untilAwaitingApproval(review);
  const token = (await mintDevToken(stsUrl(), { user: 'carol', tenant: stage.tenant })).accessToken;
  return { ...review, at, decision: await review.run.approve({ token }) };
}

async function expectAllCharged(runs: RunHandle[]): Promise<void> {
  const outputs = await Promise.all(runs.map((run) => run.result()));
  expect(outputs).toEqual(runs.map(() => ({ charged: true })));
}

/**
 * Each run's irreversible charge went out under one key (repeats, if any, with that key: an attempt whose result was
 * lost with the server is made again), each request under it was audited as sent exactly once, and at least one was
 * audited as answered.
 */
async function expectChargedOnceAndAudited(stage: Stage, runs: RunHandle[]): Promise<void> {
  for (const run of runs) {
    const key = `${run.workflowId}:charge:1`;
    const sent = stage.target.requests.filter((request) => request.path === '/charges' && String(request.headers['idempotency-key']).startsWith(run.workflowId));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(new Set(sent.map((request) => request.headers['idempotency-key']))).toEqual(new Set([key]));
    const audited = (await listAuditEvents(pool, stage.tenant, { workflowId: run.workflowId })).filter((event) => event.step === 'charge');
    // Each request that went out was audited once, before it went out: no more entries, and none missing.
    expect(audited.filter((event) => event.type === 'tool.call.sent')).toHaveLength(sent.length);
    const answered = audited.filter((event) => event.type === 'tool.call' && (event.payload as { outcome?: string }).outcome === 'ok');
    expect(answered.length).toBeGreaterThanOrEqual(1);
    expect(answered.length).toBeLessThanOrEqual(sent.length);
  }
}

/** Every Worker of this process still runs, and none stopped on its own. */
function expectWorkersRunning(): void {
  for (const served of outageTenants) {
    expect(served.proxied.worker.getState()).toBe('RUNNING');
    expect(served.proxied.failure()).toBeUndefined();
  }
}

type HealthLog = Array<{ status: number | 'down'; temporal?: string }>;

async function probeHealth(): Promise<HealthLog[number]> {
  try {
    const response = await fetch(`http://127.0.0.1:${HEALTH_PORT}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, temporal: ((await response.json()) as { temporal?: string }).temporal };
  } catch {
    return { status: 'down' };
  }
}

async function untilHealth(accept: (status: HealthLog[number]['status']) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!accept((await probeHealth()).status)) {
    if (workerProcess?.exitCode !== null && workerProcess?.exitCode !== undefined) throw new Error(`the worker process exited (${workerProcess.exitCode})`);
    if (Date.now() > deadline) throw new Error('the worker never reported the awaited health');
    await sleep(250);
  }
}

/** Polls the worker's health until stopped; `answers` resolves with every answer then. */
function watchHealth(): { answers: Promise<HealthLog>; stop(): void } {
  let watching = true;
  const answers = (async () => {
    const log: HealthLog = [];
    while (watching) {
      log.push(await probeHealth());
      await sleep(250);
    }
    return log;
  })();
  return {
    answers,
    stop: () => {
      watching = false;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('runs in flight through a 20 s outage of the database complete, each charge made under one key and audited', async () => {
  await expectChargedOnceAndAudited(stages.database!, (await outcomes.database).charges);
  expectWorkersRunning();
});

test('a model call answered while the database is down is settled in the ledger once it is back, and not made again', async () => {
  const { answeredDuringOutage, modelCalls, cutAt, restoredAt } = await outcomes.database;
  const { tenant } = stages.database!;
  expect(modelCalls).toHaveLength(REVIEWS_PER_STEP);
  for (const call of modelCalls) {
    expect(call.received_at).toBeLessThan(cutAt);
    expect(call.finished_at).toBeGreaterThan(cutAt);
    expect(call.finished_at).toBeLessThan(restoredAt);
  }
  for (const { run, note } of answeredDuringOutage) {
    expect(await run.result()).toMatchObject({ summary: `echo: ${note} !slow-once=${SLOW_MODEL_MS}`, approval: { decision: 'approved', approvers: ['carol'] } });
    // One ledger row (settled, not left reserved), one call answered, one audited call.
    const ledger = await listRunLedger(pool, tenant, run.workflowId);
    expect(ledger.map((entry) => [entry.node, entry.status])).toEqual([['summarize', 'completed']]);
    const answered = (await recordedModelCalls()).filter((call) => call.status === 200 && JSON.stringify(call.body).includes(note));
    expect(answered).toHaveLength(1);
    const audited = (await listAuditEvents(pool, tenant, { workflowId: run.workflowId })).filter((event) => event.type === 'llm.call');
    expect(audited.map((event) => [event.step, (event.payload as { outcome?: string; ledger_id?: string }).outcome, (event.payload as { ledger_id?: string }).ledger_id])).toEqual([
      ['summarize', 'completed', ledger[0]!.id],
    ]);
  }
});

test('approvals decided while the database is down: the decide update is told to send it again, a raw signal is kept, each counted and audited once', async () => {
  const { byUpdate, bySignal } = await outcomes.database;
  const { tenant } = stages.database!;
  expect(byUpdate.duringOutage).toMatchObject({ accepted: false, code: 'APPROVER_UNVERIFIED' });
  expect(byUpdate.resent).toMatchObject({ accepted: true, approver: 'carol' });
  expect(bySignal.completed).toBe(true);
  for (const run of [byUpdate.run, bySignal.run]) {
    expect(await run.result()).toMatchObject({ approval: { decision: 'approved', approvers: ['carol'] } });
    const audited = (await listAuditEvents(pool, tenant, { workflowId: run.workflowId })).filter((event) => event.type.startsWith('approval.'));
    expect(audited.map((event) => [event.type, event.userId])).toEqual([['approval.accepted', 'carol']]);
    const recorded = await withTenant(pool, tenant, (db) => db.query<{ status: string; decisions: string[] }>('SELECT status, decisions FROM approvals WHERE workflow_id = $1', [run.workflowId]));
    expect(recorded.rows).toEqual([{ status: 'approved', decisions: ['carol'] }]);
    expect(await listRunLedger(pool, tenant, run.workflowId)).toHaveLength(1);
  }
});

test('runs in flight through a 20 s outage of Vault complete, each charge made under one key and audited', async () => {
  await expectChargedOnceAndAudited(stages.vault!, await outcomes.vault);
  expectWorkersRunning();
});

test('delegated runs in flight through a 20 s outage of the STS complete, each expense submitted once', async () => {
  const runs = await outcomes.sts;
  expect(api.accepted).toHaveLength(runs.length);
  expectWorkersRunning();
});

test('runs in flight while the Temporal server is killed for 20 s complete, each charge made under one key and audited', async () => {
  const { charges } = await outcomes.temporal;
  await expectChargedOnceAndAudited(stages.temporal!, charges);
});

test('runs mid model call or waiting for an approval while the Temporal server is killed are approved once back and complete, each model call answered in the ledger once', async () => {
  const { reviews, modelCalls, killedAt, restartedAt } = await outcomes.temporal;
  expect(reviews.map((review) => review.at).sort()).toEqual(['approval', 'approval', 'llm', 'llm']);
  // The calls caught at the llm step were answered while the server was down.
  expect(modelCalls).toHaveLength(REVIEWS_PER_STEP);
  for (const call of modelCalls) {
    expect(call.received_at).toBeLessThan(killedAt);
    expect(call.finished_at).toBeGreaterThan(killedAt);
    expect(call.finished_at).toBeLessThan(restartedAt);
  }
  for (const { run, note, at, decision } of reviews) {
    // The decision was sent once, after the restart, and accepted at once.
    expect(decision).toMatchObject({ accepted: true, approver: 'carol' });
    const prompt = at === 'llm' ? `${note} !slow-once=${SLOW_MODEL_MS}` : note;
    expect(await run.result()).toEqual({ summary: `echo: ${prompt}`, approval: { decision: 'approved', approvers: ['carol'] } });
    // An answer the worker got while the server was down could not be reported: the step is tried again once the
    // server is back and calls the model again. Each call the model answered has its completed row, and no other.
    const answered = (await recordedModelCalls()).filter((call) => call.status === 200 && JSON.stringify(call.body).includes(note));
    expect(answered.length).toBeGreaterThanOrEqual(1);
    if (at === 'approval') expect(answered).toHaveLength(1);
    const ledger = await listRunLedger(pool, stages.temporal!.tenant, run.workflowId);
    expect(ledger.map((entry) => [entry.node, entry.status])).toEqual(answered.map(() => ['summarize', 'completed']));
  }
});

test('the worker process is unhealthy while the Temporal server is down and healthy again after', async () => {
  await outcomes.temporal;
  const during = await healthDuringTemporalOutage;
  expect(during.length).toBeGreaterThan(10);
  // The worker itself answered throughout; from its first probe of the dead server on (a few seconds), it said unhealthy.
  expect(during.filter((probe) => probe.status === 'down')).toEqual([]);
  const afterFirstProbe = during.slice(Math.floor(during.length / 3));
  expect(afterFirstProbe).toEqual(afterFirstProbe.map(() => ({ status: 503, temporal: 'unreachable' })));
  // Healthy again after the restart (a probe that takes over 3 s on a loaded machine counts as unreachable, so the
  // answer is awaited rather than read once).
  await untilHealth((status) => status === 200, 30_000);
  expect(await probeHealth()).toEqual({ status: 200, temporal: 'reachable' });
  expect(workerProcess?.exitCode).toBeNull();
});

test('`steward dev status` reports the server and the worker unhealthy, exiting non-zero, while the Temporal server is down, and healthy after', async () => {
  const { statusDuring, statusAfter } = await outcomes.temporal;
  expect(statusDuring).toEqual({ code: 1, temporal: { healthy: false }, worker: { healthy: false, serving: 0, expected: 1 } });
  expect(statusAfter).toEqual({ code: 0, temporal: { healthy: true }, worker: { healthy: true, serving: 1, expected: 1 } });
});

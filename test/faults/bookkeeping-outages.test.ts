// A database outage at the bookkeeping a run cannot do without is waited out as a step's is: its start, its approval
// records (a decision, a timeout), the audit of a signal it refused or of a tool call a model may not make, the ledger
// of a model call. The worker reaches the database through a proxy this file cuts, for 8 s each time: longer than the
// few attempts such a write used to have.
import { mintDevToken } from '../../dev-server/sts';
import { listAuditEvents } from '../../src/audit/audit-log';
import type { RunHandle, StewardClient } from '../../src/client';
import { withTenant } from '../../src/db/tenant-scope';
import { listRunLedger } from '../../src/llm/ledger';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { API_KEY, useModelServer } from '../llm/model-server-fixture';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import type { ProxiedWorker } from '../support/proxied-worker';
import { stsUrl, waitForHistoryEvent, writeVaultSecret } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';
import { callsOf, rawHistory, startOutageTenant, whileCut, type OutageTenant } from './outage-fixtures';

const OUTAGE_MS = 8_000;
let served: OutageTenant;
let tenant: TenantId;
let proxied: ProxiedWorker;
let database: TcpProxy;
let client: StewardClient;
let target: HttpTarget;
const models = useModelServer();

beforeAll(async () => {
  [served, target] = await Promise.all([startOutageTenant('bookkeeping-outages', 'bookkeeping-token'), startHttpTarget()]);
  ({ tenant, proxied, client } = served);
  database = proxied.proxies.database;
  await writeVaultSecret(`tenants/${tenant}/llm`, { key: API_KEY });
});

afterAll(async () => {
  await served?.stop();
  await target?.close();
});

describe('through one database outage', () => {
  let started: RunHandle;
  let timedOut: RunHandle;
  let refusing: RunHandle;
  let llm: RunHandle;

  /** Resolves once the run waits at a node (its start is behind it), so the outage meets what comes next. */
  async function untilWaiting(run: RunHandle): Promise<void> {
    // A query may be refused until the run's first workflow task is done.
    const pending = () => run.query<{ pending: unknown[] }>('state').then((state) => state.pending.length, () => 0);
    while ((await pending()) === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // Each run meets the outage at a different piece of bookkeeping; they share the outage to keep the file short.
  beforeAll(async () => {
    await client.register(`
id: start-during-outage
version: 1
start: done
nodes:
  done: { type: end, output: "'started'" }
`);
    await client.register(`
id: timeout-during-outage
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [carol] }, timeout: 4s, on_timeout: approve, next: done }
  done: { type: end, output: nodes.ask.output }
`);
    await client.register(`
id: refusal-during-outage
version: 1
start: hold
nodes:
  hold: { type: wait, signal: go, next: done }
  done: { type: end, output: "'done'" }
`);
    await client.register(
      JSON.stringify({
        id: 'llm-during-outage',
        version: 1,
        secrets: { key: `vault:secret/data/tenants/${tenant}/llm#key` },
        start: 'hold',
        nodes: {
          hold: { type: 'wait', signal: 'go', next: 'ask' },
          ask: { type: 'llm', provider: 'openai', base_url: models.server().openaiBaseUrl, model: 'steward-local', api_key: '{{ secrets.key }}', prompt: 'hello', retry: { max_attempts: 1 }, next: 'done' },
          done: { type: 'end', output: 'nodes.ask.output' },
        },
      }),
    );
    const start = (workflow: string) => client.start({ workflow, input: {} });
    [timedOut, refusing, llm] = await Promise.all([start('timeout-during-outage'), start('refusal-during-outage'), start('llm-during-outage')]);
    // The approval's timer is the sign that its pending row is written.
    await waitForHistoryEvent(timedOut, (event) => Boolean(event.timerStartedEventAttributes));
    await Promise.all([untilWaiting(refusing), untilWaiting(llm)]);
    await whileCut(database, OUTAGE_MS, async () => {
      started = await client.start({ workflow: 'start-during-outage', input: {} });
      // No approval is pending in that run: the signal is refused, and the refusal is audited.
      await refusing.signal('approval', { decision: 'approve', token: 'not-a-token' });
      await llm.signal('go');
    });
    await refusing.signal('go');
  });

  test('a run started during it waits at its start, without spending its attempts, and completes', async () => {
    expect(await started.result()).toBe('started');
    const { events, text } = await rawHistory(started);
    expect(events.filter((event) => event.timerStartedEventAttributes).length).toBeGreaterThanOrEqual(1);
    expect(text).toContain('DEPENDENCY_UNAVAILABLE');
  });

  test('an approval its timeout decides during it is recorded, and the run completes', async () => {
    expect(await timedOut.result()).toEqual({ decision: 'approved', approvers: [], reason: 'timeout' });
    const rows = await withTenant(proxied.pool, tenant, (db) => db.query<{ status: string }>('SELECT status FROM approvals WHERE workflow_id = $1', [timedOut.workflowId]));
    expect(rows.rows).toEqual([{ status: 'approved' }]);
  });

  test('a signal refused during it is still audited once the database is back', async () => {
    expect(await refusing.result()).toBe('done');
    const audited = (await listAuditEvents(proxied.pool, tenant, { workflowId: refusing.workflowId })).filter((event) => event.type === 'approval.refused');
    expect(audited).toHaveLength(1);
    expect(audited[0]!.payload).toMatchObject({ reason: 'no approval is pending in this run', signal: 'approval' });
  });

  test('an llm step whose ledger write meets it completes with exactly one ledger row', async () => {
    expect(await llm.result()).toBe('echo: hello');
    const ledger = await listRunLedger(proxied.pool, tenant, llm.workflowId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ status: 'completed' });
    const calls = await callsOf(llm, 'callLlm');
    expect(calls.scheduled).toBeGreaterThanOrEqual(2);
    expect(calls.highestAttempt).toBe(1);
  });
});

describe('a database outage that meets one write', () => {
  /** Cuts the database as the write holding `marker` is sent, and restores it after the outage. */
  async function outageAt(marker: string): Promise<void> {
    await database.cutWhenSent(marker);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await database.restore();
  }

  test('an approval decided just before it is recorded once the database is back, and the run completes', async () => {
    await client.register(`
id: decision-during-outage
version: 1
start: ask
nodes:
  ask: { type: approval, approvers: { users: [carol] }, allow_self_approval: true, timeout: 1h, next: done }
  done: { type: end, output: nodes.ask.output }
`);
    const run = await client.start({ workflow: 'decision-during-outage', input: {} });
    // The approval's timer is the sign that its pending row is written: the next write to the table is the decision.
    await waitForHistoryEvent(run, (event) => Boolean(event.timerStartedEventAttributes));
    const outage = outageAt('INSERT INTO approvals (');
    const token = (await mintDevToken(stsUrl(), { user: 'carol', tenant })).accessToken;
    expect(await run.approve({ token })).toMatchObject({ accepted: true, approver: 'carol' });
    await outage;
    expect(await run.result()).toEqual({ decision: 'approved', approvers: ['carol'] });
    const rows = await withTenant(proxied.pool, tenant, (db) => db.query<{ status: string }>('SELECT status FROM approvals WHERE workflow_id = $1', [run.workflowId]));
    expect(rows.rows).toEqual([{ status: 'approved' }]);
  });

  test('a tool call a model may not make is audited once the database is back, without spending the audit\'s attempts', async () => {
    await client.register(
      JSON.stringify({
        id: 'refused-call-during-outage',
        version: 1,
        secrets: { key: `vault:secret/data/tenants/${tenant}/llm#key` },
        start: 'ask',
        nodes: {
          ask: {
            type: 'llm',
            provider: 'openai',
            base_url: models.server().openaiBaseUrl,
            model: 'steward-local',
            api_key: '{{ secrets.key }}',
            prompt: 'Clean up !tools=delete_all',
            tools: ['delete_all'],
            next: 'done',
          },
          delete_all: { type: 'tool', tool: 'http', irreversible: true, request: { method: 'POST', url: `${target.url}/delete_all` } },
          done: { type: 'end', output: 'nodes.ask.output' },
        },
      }),
    );
    const outage = outageAt('security.tool_call_refused');
    const run = await client.start({ workflow: 'refused-call-during-outage', input: {} });
    await outage;
    expect(await run.result()).toMatch(/^done: delete_all; last result: not run: delete_all is irreversible/);
    const refused = (await listAuditEvents(proxied.pool, tenant, { workflowId: run.workflowId })).filter((event) => event.type === 'security.tool_call_refused');
    expect(refused).toHaveLength(1);
    const calls = await callsOf(run, 'recordLlmEvent');
    expect(calls.scheduled).toBeGreaterThanOrEqual(2);
    expect(calls.highestAttempt).toBe(1);
    expect(target.requests.filter((request) => request.path === '/delete_all')).toEqual([]);
  });
});

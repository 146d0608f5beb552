// Tracing end to end, on the real stack's Jaeger: the expense example's run, started for alice and approved by carol,
// is ONE trace holding the run, its nodes, their activities, the model call (GenAI attributes), the token exchange and
// the tool's HTTP call; a canary scan of everything Jaeger stored finds none of the PII, secrets or tokens the run
// carried; the worker's /metrics counts the run; `steward run` links its run to the trace. The browser screenshots
// the trace as Jaeger's query API returns it and an approver's inbox drawn from the gateway's JSON (docs/screenshots/).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { findOrInstallChromium } from '../../dev-server/chromium';
import { startExpensesApi, type ExpensesApi } from '../../dev-server/expenses-api/server';
import { DEV_MODEL_SERVER_KEY } from '../../dev-server/model-server';
import { findFreePort } from '../../dev-server/processes';
import { mintDevToken, SECRET_AGENT_SECRET } from '../../dev-server/sts';
import { readStackFile } from '../../src/config/stack-file';
import { StewardClient, type RunHandle } from '../../src/client';
import { createApprovalsGateway } from '../../src/servers/approvals-gateway';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli, STEWARD_BIN } from '../support/cli';
import { createTestTenant, processExit, stsUrl, testConfig, writeVaultSecret } from '../support/stack';

const config = testConfig();
const stack = readStackFile(config.env.STEWARD_STATE_DIR);
const jaeger = stack!.jaeger!;
/** The README shows these: STEWARD_UPDATE_SCREENSHOTS=1 writes them there, other runs to test/artifacts. */
const SCREENSHOTS = process.env.STEWARD_UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'screenshots') : join(__dirname, '..', 'artifacts');

/** Values no span may carry: planted in the run's input, its secrets and its tokens. */
const canaries: string[] = [];
const plant = <T extends string>(value: T): T => (canaries.push(value), value);

let tenant: TenantId;
let client: StewardClient;
let api: ExpensesApi;
let worker: ChildProcess;
let workerLogs = '';
let metricsUrl: string;
let gateway: ReturnType<typeof createApprovalsGateway>;
let gatewayUrl: string;
let browser: Browser | undefined;
let run: RunHandle;
let inbox: unknown;

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

async function jaegerGet<T>(path: string): Promise<T> {
  const response = await fetch(`${jaeger.ui}${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Jaeger ${path}: ${response.status}`);
  return ((await response.json()) as { data: T }).data;
}

const traceSearch = (service: string, tags: Record<string, string>) =>
  jaegerGet<JaegerTrace[]>(`/api/traces?service=${service}&lookback=1h&limit=100&tags=${encodeURIComponent(JSON.stringify(tags))}`);

/** Polls until `probe` gives a value (spans arrive batched, and the run's own span only when it closes). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not appear within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((entry) => entry.key === key)?.value;
const parentOf = (spans: JaegerSpan[], span: JaegerSpan) => spans.find((other) => other.spanID === span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID);

/** The example as shipped, pointed at this stack and this file's expenses API, its request carrying a planted secret. */
function exampleFor(apiUrl: string): string {
  return readFileSync('examples/expense-approval.yaml', 'utf8')
    .replaceAll('http://127.0.0.1:4444', new URL(stsUrl()).origin)
    .replaceAll('http://127.0.0.1:4030', apiUrl)
    .replace('  llm: "vault:~/llm#openai"\n', '  llm: "vault:~/llm#openai"\n  canary: "vault:~/canary#value"\n')
    .replace(`      url: ${apiUrl}`, `      headers: { X-Canary: "{{ secrets.canary }}" }\n      url: ${apiUrl}`);
}

beforeAll(async () => {
  tenant = await createTestTenant('tracing');
  await writeVaultSecret(`tenants/${tenant}/agents`, { expense_agent: plant(SECRET_AGENT_SECRET) });
  await writeVaultSecret(`tenants/${tenant}/llm`, { openai: plant(DEV_MODEL_SERVER_KEY) });
  await writeVaultSecret(`tenants/${tenant}/canary`, { value: plant(`secret-canary-${randomBytes(6).toString('hex')}`) });
  api = await startExpensesApi({ port: 0, issuer: stsUrl() });
  const healthPort = await findFreePort();
  metricsUrl = `http://127.0.0.1:${healthPort}/metrics`;
  // The worker traces as the stack's does: OpenTelemetry's own variable names the collector (Jaeger's OTLP port).
  worker = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant, '--health-port', String(healthPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlp_endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
  });
  worker.stdout!.on('data', (chunk) => (workerLogs += chunk));
  worker.stderr!.on('data', (chunk) => (workerLogs += chunk));
  client = await StewardClient.connect({ tenant });
  await client.register(exampleFor(api.url));
  gateway = createApprovalsGateway(config);
  gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });

  // alice's expense of 2500, with a contact in its description: it waits for a finance manager, who approves.
  const email = plant(`alice.${randomBytes(4).toString('hex')}@example.com`);
  const phone = plant(`+1 415 555 ${randomInt(1000, 10_000)}`);
  const userToken = plant((await mintDevToken(stsUrl(), { user: 'alice', tenant })).accessToken);
  run = await client.start({ workflow: 'expense-approval', input: { amount: 2500, description: `offsite venue, contact ${email} or ${phone}` }, userToken });
  const approver = plant((await mintDevToken(stsUrl(), { user: 'carol', tenant, groups: ['finance-managers'] })).accessToken);
  inbox = await until('the pending approval in the gateway', async () => {
    const response = await fetch(`${gatewayUrl}/v1/tenants/${tenant}/approvals`, { headers: { authorization: `Bearer ${approver}` } });
    const body = (await response.json()) as { approvals: Array<{ workflow_id: string }> };
    return body.approvals.some((entry) => entry.workflow_id === run.workflowId) ? body : undefined;
  }, 90_000);
  expect(await run.approve({ token: approver })).toMatchObject({ accepted: true, approver: 'carol' });
  await run.result();
  plant(api.seenTokens[0]!);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await client?.close();
  worker?.kill('SIGTERM');
  if (worker) await processExit(worker);
  await api?.stop();
});

async function runTrace(): Promise<JaegerTrace> {
  // The run's activities carry its workflow id; every span of the run, the workflow's own included, is in their trace.
  const found = await until('the run in Jaeger', async () => {
    const traces = await traceSearch('steward-worker', { temporalWorkflowId: run.workflowId });
    const names = traces.flatMap((trace) => trace.spans.map((span) => span.operationName));
    return names.includes('RunWorkflow:agentWorkflow') && names.includes('HTTP POST') ? traces : undefined;
  });
  expect(new Set(found.map((trace) => trace.traceID)).size).toBe(1);
  return jaegerGet<JaegerTrace[]>(`/api/traces/${found[0]!.traceID}`).then((traces) => traces[0]!);
}

test("the expense run is one trace: run, nodes, activities, the model call, the token exchange and the tool's HTTP call", async () => {
  const trace = await runTrace();
  const spans = trace.spans;
  const named = (name: string) => spans.filter((span) => span.operationName === name);
  expect(Object.values(trace.processes).map((process) => process.serviceName)).toEqual(expect.arrayContaining(['steward-worker']));

  // The run: the trace's root, naming its tenant and definition.
  const [runSpan] = named('RunWorkflow:agentWorkflow');
  expect(runSpan!.references).toEqual([]);
  expect(tag(runSpan!, 'steward.tenant')).toBe(tenant);
  expect(tag(runSpan!, 'steward.workflow')).toBe('expense-approval');

  // Each node it went through, children of the run.
  for (const node of ['review', 'route', 'finance_approval', 'submit', 'done']) {
    const [span] = named(`node ${node}`);
    expect({ node, parent: parentOf(spans, span!)?.operationName }).toEqual({ node, parent: 'RunWorkflow:agentWorkflow' });
  }
  expect(named('node submit_small')).toEqual([]);

  // The model call: node → StartActivity → RunActivity → chat, with the GenAI conventions' attributes.
  const [llm] = named('chat steward-local');
  const chain = [llm!];
  for (let parent = parentOf(spans, llm!); parent; parent = parentOf(spans, parent)) chain.push(parent);
  expect(chain.map((span) => span.operationName)).toEqual(['chat steward-local', 'RunActivity:callLlm', 'StartActivity:callLlm', 'node review', 'RunWorkflow:agentWorkflow']);
  expect(tag(llm!, 'gen_ai.system')).toBe('openai');
  expect(tag(llm!, 'gen_ai.request.model')).toBe('steward-local');
  expect(tag(llm!, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
  expect(tag(llm!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);

  // The submit step: the token exchange, then the HTTP call (method, host, status; no URL path or query).
  const [exchange] = named('oauth token exchange');
  const [http] = named('HTTP POST');
  expect(parentOf(spans, exchange!)?.operationName).toBe('RunActivity:runTool');
  expect(parentOf(spans, http!)?.operationName).toBe('RunActivity:runTool');
  expect(tag(exchange!, 'steward.oauth.audience')).toBe('expenses-api');
  expect(tag(exchange!, 'steward.oauth.cached')).toBe(false);
  expect({ method: tag(http!, 'http.request.method'), host: tag(http!, 'server.address'), status: tag(http!, 'http.response.status_code') }).toEqual({ method: 'POST', host: '127.0.0.1', status: 201 });
  expect(http!.tags.map((entry) => entry.key)).not.toEqual(expect.arrayContaining(['url.full']));
});

test('no span Jaeger stored for this file carries a planted PII value, secret or token', async () => {
  await runTrace();
  const services = await jaegerGet<string[]>('/api/services');
  const everything: JaegerTrace[] = [];
  for (const service of services) everything.push(...(await jaegerGet<JaegerTrace[]>(`/api/traces?service=${encodeURIComponent(service)}&lookback=1h&limit=2000`)));
  const text = JSON.stringify(everything);
  expect(text).toContain(run.workflowId);
  expect(canaries.length).toBe(8);
  expect(canaries.filter((canary) => text.includes(canary))).toEqual([]);
});

test("the worker's /metrics counts the run, its tokens and cost, and the approval's wait, by tenant and workflow", async () => {
  const body = await (await fetch(metricsUrl)).text();
  const sample = (name: string, labels: string) => {
    const line = body.split('\n').find((entry) => entry.startsWith(`${name}{`) && labels.split(',').every((label) => entry.includes(label)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const labels = `tenant="${tenant}",workflow="expense-approval"`;
  expect(sample('steward_runs_started_total', labels)).toBe(1);
  expect(sample('steward_runs_completed_total', labels)).toBe(1);
  expect(sample('steward_runs_failed_total', labels)).toBeUndefined();
  expect(sample('steward_llm_tokens_total', `${labels},type="input"`)).toBeGreaterThan(0);
  expect(sample('steward_llm_tokens_total', `${labels},type="output"`)).toBeGreaterThan(0);
  expect(sample('steward_llm_cost_total', labels)).toBeGreaterThan(0);
  expect(sample('steward_approval_wait_count', `${labels},outcome="approved"`)).toBe(1);
});

test('`steward run` prints the link to its trace in Jaeger, and the trace holds the run it started', async () => {
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', tenant, '--input', '{"name":"Ada"}', '--wait'], { timeoutMs: 120_000 });
  expect(cli.stderr).toBe('');
  const link = /^trace: (\S+)$/m.exec(cli.stdout)?.[1];
  expect(link).toMatch(new RegExp(`^${jaeger.ui}/trace/[0-9a-f]{32}$`));
  const traceId = link!.slice(link!.lastIndexOf('/') + 1);
  const trace = await until('the CLI run in Jaeger', async () => {
    const [found] = await jaegerGet<JaegerTrace[]>(`/api/traces/${traceId}`);
    return found?.spans.some((span) => span.operationName === 'node greet') ? found : undefined;
  });
  const root = trace.spans.find((span) => span.references.length === 0);
  expect(root?.operationName).toBe('steward run');
  expect(trace.processes[root!.processID]?.serviceName).toBe('steward-cli');
  const runSpan = trace.spans.find((span) => span.operationName === 'RunWorkflow:agentWorkflow');
  expect(tag(runSpan!, 'steward.workflow')).toBe('hello');
});

test("screenshots: the run's trace from Jaeger's query API, and an approver's inbox drawn from the gateway's JSON", async () => {
  const trace = await runTrace();
  const executablePath = findOrInstallChromium((line) => process.stderr.write(`[tracing test] ${line}\n`));
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  mkdirSync(SCREENSHOTS, { recursive: true });

  // Jaeger built from its Go module serves a placeholder for its UI (the UI's assets come from a separate build), so
  // the trace is drawn from what its query API returned, as the UI would: a waterfall of the spans by parent.
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.setContent(waterfall(trace));
  await page.screenshot({ path: join(SCREENSHOTS, 'jaeger-run-trace.png'), fullPage: true });
  const shown = await page.locator('body').innerText();
  for (const name of ['RunWorkflow:agentWorkflow', 'node finance_approval', 'chat steward-local', 'oauth token exchange', 'HTTP POST']) expect(shown).toContain(name);

  const inboxPage = await browser.newPage({ viewport: { width: 900, height: 520 } });
  await inboxPage.setContent(readFileSync('examples/approvals-inbox/index.html', 'utf8'));
  await inboxPage.evaluate((body) => (globalThis as unknown as { renderInbox(body: unknown): void }).renderInbox(body), inbox);
  await inboxPage.screenshot({ path: join(SCREENSHOTS, 'approvals-inbox.png') });
  const listed = await inboxPage.locator('#inbox').innerText();
  expect(listed).toContain(run.workflowId);
  expect(listed).toContain('group finance-managers');
});

interface TimedSpan extends JaegerSpan {
  startTime: number;
  duration: number;
}

/** A trace as Jaeger's UI lays it out: spans in parent order, indented by depth, bars on the trace's time axis. */
function waterfall(trace: JaegerTrace): string {
  const spans = trace.spans as TimedSpan[];
  const start = Math.min(...spans.map((span) => span.startTime));
  const end = Math.max(...spans.map((span) => span.startTime + span.duration));
  const children = (parent: string | undefined) =>
    spans.filter((span) => span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID === parent || (parent === undefined && span.references.length === 0)).sort((a, b) => a.startTime - b.startTime);
  const rows: string[] = [];
  const visit = (span: TimedSpan, depth: number) => {
    const left = ((span.startTime - start) / (end - start)) * 100;
    const width = Math.max(0.3, (span.duration / (end - start)) * 100);
    const service = trace.processes[span.processID]?.serviceName ?? '';
    const detail = ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'http.response.status_code', 'steward.node.type'].map((key) => (tag(span, key) === undefined ? '' : `${key}=${String(tag(span, key))}`)).filter(Boolean).join('  ');
    rows.push(`<tr><td style="padding-left:${8 + depth * 16}px">${escape(span.operationName)} <small>${escape(service)}</small><div class="d">${escape(detail)}</div></td>` +
      `<td class="axis"><div class="bar" style="left:${left}%;width:${width}%"></div><span class="ms" style="left:${Math.min(left + width, 88)}%">${(span.duration / 1000).toFixed(1)} ms</span></td></tr>`);
    for (const child of children(span.spanID)) visit(child, depth + 1);
  };
  for (const root of children(undefined)) visit(root, 0);
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { font: 13px system-ui, sans-serif; margin: 16px; color: #1d2330; } h1 { font-size: 16px; margin: 0 0 10px; }
    table { border-collapse: collapse; width: 100%; } td { border-bottom: 1px solid #eceef2; padding: 4px 8px; vertical-align: top; }
    td:first-child { width: 42%; white-space: nowrap; } small { color: #7a8396; } .d { color: #5b6478; font-size: 11px; }
    .axis { position: relative; } .bar { position: absolute; top: 7px; height: 12px; background: #4f7fd9; border-radius: 2px; }
    .ms { position: absolute; top: 4px; margin-left: 6px; font-size: 11px; color: #5b6478; }
  </style></head><body><h1>Trace ${escape(trace.traceID)} — ${spans.length} spans, ${((end - start) / 1e6).toFixed(2)} s (from Jaeger's /api/traces)</h1><table>${rows.join('')}</table></body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

// The dev Web UI decodes a run through the codec server: on a stack of its own (so its Temporal UI starts with
// --ui-codec-endpoint), Debian's chromium opens the run's page and sees its input masked, never in clear.
// The dev UI has no login, so it has no access token to pass on ("pass access token" needs an OIDC-enabled UI
// and an https endpoint): the stack's codec server runs in its loopback-only development mode, masked views only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { findOrInstallChromium } from '../../dev-server/chromium';
import { readStackFile } from '../../src/config/stack-file';
import { runCli } from '../support/cli';

const stateDir = mkdtempSync(join(tmpdir(), 'steward-ui-test-'));
const { DATABASE_URL, TEMPORAL_ADDRESS, ...inherited } = process.env;
const env: NodeJS.ProcessEnv = {
  ...inherited,
  STEWARD_STATE_DIR: stateDir,
  STEWARD_TEMPORAL_PORT: '27233',
  STEWARD_TEMPORAL_UI_PORT: '28233',
  STEWARD_POSTGRES_PORT: '25432',
  STEWARD_STS_PORT: '24444',
  STEWARD_VAULT_PORT: '28200',
  STEWARD_LLM_PORT: '24010',
  STEWARD_GATEWAY_PORT: '24020',
  STEWARD_EXPENSES_PORT: '24030',
  STEWARD_CODEC_PORT: '24040',
  STEWARD_JAEGER_UI_PORT: '26686',
  STEWARD_OTLP_PORT: '24318',
  STEWARD_OTLP_GRPC_PORT: '24317',
  STEWARD_FEDERATION_PORT: '24050',
};
const SCREENSHOT = join(__dirname, '..', 'artifacts', 'codec-server-ui.png');
const INPUT = { applicant: 'Grace Hopper', email: 'grace.ui-canary@example.org', ssn: '219-09-9999' };

let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await runCli(['dev', 'stop'], { env });
  // The stack's Postgres data lives outside the temporary state folder when running as root: remove both.
  const dataDir = readStackFile(stateDir)?.postgres.data_dir;
  if (dataDir) rmSync(dataDir.startsWith('/var/lib/steward/') ? dirname(dataDir) : dataDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

test("the Web UI shows a run's input decoded through the codec server, with PII masked", async () => {
  const executablePath = findOrInstallChromium((line) => process.stderr.write(`[ui test] ${line}\n`));
  const started = await runCli(['dev', '--detach'], { env, timeoutMs: 240_000 });
  // on failure, the stack's own words say which part did not start
  expect({ code: started.code, stderr: started.code === 0 ? '' : started.stderr }).toEqual({ code: 0, stderr: '' });
  const status = JSON.parse((await runCli(['dev', 'status', '--json'], { env })).stdout);
  expect(status.codec_server).toEqual({ url: 'http://127.0.0.1:24040', healthy: true });

  const definition = join(stateDir, 'onboard.yaml');
  writeFileSync(definition, 'id: onboard\nversion: 1\nstart: done\nnodes:\n  done: { type: end, output: input.applicant }\n');
  const run = await runCli(['run', definition, '--tenant', 'demo', '--input', JSON.stringify(INPUT), '--wait', '--json'], { env, timeoutMs: 120_000 });
  expect(run.stderr).toBe('');
  const { workflow_id: workflowId, run_id: runId, result } = JSON.parse(run.stdout);
  expect(result).toBe('Grace Hopper');

  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const decodes: number[] = [];
  page.on('response', (response) => {
    if (response.url().startsWith('http://127.0.0.1:24040/decode')) decodes.push(response.status());
  });
  await page.goto(`${status.temporal.ui}/namespaces/demo/workflows/${workflowId}/${runId}/history`, { waitUntil: 'networkidle' });
  // Masked as the PII engine masks: the SSN keeps its last four digits, the email its first letter and domain.
  // a locator, not a string predicate: the UI's Content Security Policy forbids the eval such a predicate needs
  await page.getByText('***-**-9999').first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  const text = await page.locator('body').innerText();
  expect(text).toContain('g***@example.org');
  expect(text).toContain('Grace Hopper');
  expect(text).not.toContain('grace.ui-canary');
  expect(text).not.toContain('219-09-9999');
  expect(decodes.length).toBeGreaterThan(0);
  expect(decodes.every((code) => code === 200)).toBe(true);
}, 720_000);

// Benchmark: runs in flight through two worker SIGKILLs and a Temporal restart, on a stack of its own (own ports, own
// state). Prints how many runs completed, failed or were stuck, duplicate irreversible calls per idempotency key, and
// the latency of the runs a kill caught in flight.
// Run: npx tsc -p . ; node dist/scripts/bench/faults.js [--runs 100] [--concurrency 20] [--call-ms 1500] [--keep]
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ownedDataDir } from '../../dev-server/postgres';
import { isPortOpen, sleep } from '../../dev-server/processes';
import { startStack, stopStack } from '../../dev-server/stack';
import { loadStewardEnv, StewardEnv } from '../../src/config/env';
import { loadRuntimeConfig } from '../../src/config/runtime';
import { StewardClient } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { integerArgument } from './support/arguments';
import { withBenchTenant } from './support/bench-tenant';

// Ports of this benchmark's own stack, apart from the developer stack's and the other benchmarks'.
const PORTS: Record<string, number> = {
  STEWARD_TEMPORAL_PORT: 30233,
  STEWARD_TEMPORAL_UI_PORT: 30234,
  STEWARD_POSTGRES_PORT: 30432,
  STEWARD_STS_PORT: 30444,
  STEWARD_VAULT_PORT: 30200,
  STEWARD_LLM_PORT: 30010,
  STEWARD_GATEWAY_PORT: 30020,
  STEWARD_EXPENSES_PORT: 30030,
  STEWARD_CODEC_PORT: 30040,
  STEWARD_JAEGER_UI_PORT: 30686,
  STEWARD_OTLP_PORT: 30318,
  STEWARD_OTLP_GRPC_PORT: 30317,
  STEWARD_FEDERATION_PORT: 30050,
};
const STEWARD_BIN = join(__dirname, '..', '..', '..', 'bin', 'steward.js');
/** A run not closed this long after the last fault is counted as stuck. */
const STUCK_AFTER_MS = 180_000;

const say = (line: string) => console.error(`[bench] ${line}`);

/** The developer's environment minus anything that points at another stack or Temporal cluster. */
function isolatedEnv(stateDir: string): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([key]) => !key.startsWith('TEMPORAL_') && !(key.startsWith('STEWARD_') && key !== 'STEWARD_CACHE_DIR') && key !== 'DATABASE_URL',
  );
  return { ...Object.fromEntries(kept), ...Object.fromEntries(Object.entries(PORTS).map(([key, port]) => [key, String(port)])), STEWARD_STATE_DIR: stateDir };
}

/** The irreversible API the runs call: slow enough that kills catch calls in flight; counts calls per idempotency key. */
async function startChargesApi(callMs: number) {
  const calls = new Map<string, number>();
  const server = createServer((request, response) => {
    request.resume();
    const key = String(request.headers['idempotency-key'] ?? 'none');
    calls.set(key, (calls.get(key) ?? 0) + 1);
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"charged": true}'), callMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

const definition = (url: string) => `
id: faults-bench
version: 1
start: charge
nodes:
  charge:
    type: tool
    tool: http
    request: { method: POST, url: "${url}/charges", body: { amount: 12 } }
    irreversible: true
    approval: waived
    reason: the benchmark's charges are pre-approved
    retry: { max_attempts: 5 }
    next: notify
  notify:
    type: tool
    tool: http
    request: { method: POST, url: "${url}/notify", body: { sent: true } }
    next: done
  done: { type: end, output: "{'ok': true}" }
`;

interface RunRecord {
  id: string;
  startedAt: number;
  closedAt?: number;
  status?: string;
}

function spawnWorker(env: NodeJS.ProcessEnv, tenant: string, logFile: string): ChildProcess {
  const child = spawn(process.execPath, [STEWARD_BIN, 'worker', '--tenant', tenant], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

/** Retries `work` while the Temporal server is away (restarting); gives up after `timeoutMs`. */
async function whileReachable<T>(work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1_000);
    }
  }
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const total = integerArgument('--runs', 100);
  const concurrency = integerArgument('--concurrency', 20);
  const callMs = integerArgument('--call-ms', 1_500);
  const keep = process.argv.includes('--keep');
  const unknownPorts = Object.keys(StewardEnv.shape).filter((key) => key.endsWith('_PORT') && !(key in PORTS));
  if (unknownPorts.length > 0) throw new Error(`the benchmark has no port of its own for ${unknownPorts.join(', ')}: add it to PORTS`);
  for (const port of Object.values(PORTS)) {
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use: stop whatever listens there first`);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'steward-bench-faults-'));
  const processEnv = isolatedEnv(stateDir);
  const env = loadStewardEnv(processEnv);
  // This process's own clients must reach the benchmark's stack too.
  for (const key of Object.keys(process.env)) if (key.startsWith('TEMPORAL_')) delete process.env[key];
  let worker: ChildProcess | undefined;
  const api = await startChargesApi(callMs);
  try {
    say(`starting a stack of its own in ${stateDir} on ports ${Object.values(PORTS).join(', ')}`);
    const { stack } = await startStack({ env, withWorker: false, log: say });
    const config = loadRuntimeConfig(processEnv);
    const workerEnv = { ...processEnv, DATABASE_URL: config.databaseUrl };
    await withBenchTenant(config, 'faults', async (tenant) => {
      const logFile = join(stack.logs_dir, 'bench-worker.log');
      worker = spawnWorker(workerEnv, tenant, logFile);
      const client = await StewardClient.connect({ tenant, config });
      const status = new Client({ connection: await Connection.connect(loadConnectionOptions(config.localTemporalAddress)), namespace: tenant });
      try {
        await client.register(definition(api.url));
        const runs: RunRecord[] = [];
        const inFlightAtKill: RunRecord[][] = [];
        let lastFaultAt = Date.now();

        const closed = async (run: RunRecord) => {
          for (;;) {
            const description = await whileReachable(() => status.workflow.getHandle(run.id).describe());
            if (description.status.name !== 'RUNNING') {
              run.status = description.status.name;
              run.closedAt = Date.now();
              return;
            }
            if (Date.now() - Math.max(run.startedAt, lastFaultAt) > STUCK_AFTER_MS) return;
            await sleep(500);
          }
        };
        let next = 0;
        const lane = async () => {
          while (next < total) {
            const run: RunRecord = { id: `faults-bench-${next++}`, startedAt: Date.now() };
            runs.push(run);
            await whileReachable(() => client.start({ workflow: 'faults-bench', input: {}, workflowId: run.id }).catch((error: unknown) => {
              if (error instanceof Error && /already started/i.test(error.message)) return undefined;
              throw error;
            }));
            await closed(run);
          }
        };
        const open = () => runs.filter((run) => run.closedAt === undefined);
        const killWorker = async (label: string) => {
          inFlightAtKill.push(open());
          say(`${label}: SIGKILL of worker pid ${worker!.pid} with ${open().length} runs open`);
          worker!.kill('SIGKILL');
          await new Promise((resolve) => worker!.once('exit', resolve));
          // As a process manager would: start it again at once.
          worker = spawnWorker(workerEnv, tenant, logFile);
          lastFaultAt = Date.now();
        };
        const restartTemporal = async () => {
          say(`restarting the Temporal server with ${open().length} runs open`);
          inFlightAtKill.push(open());
          await stopStack(env, ['temporal']);
          await sleep(5_000);
          await startStack({ env, withWorker: false, log: say });
          lastFaultAt = Date.now();
        };
        const faults = (async () => {
          const at = async (share: number) => {
            while (runs.length < total * share) await sleep(200);
          };
          await at(0.2);
          await killWorker('kill 1');
          await at(0.45);
          await killWorker('kill 2');
          await at(0.7);
          await restartTemporal();
        })();
        const started = Date.now();
        await Promise.all([...Array.from({ length: Math.min(concurrency, total) }, lane), faults]);
        const seconds = (Date.now() - started) / 1000;

        const completed = runs.filter((run) => run.status === 'COMPLETED').length;
        const failed = runs.filter((run) => run.status !== undefined && run.status !== 'COMPLETED').length;
        const stuck = runs.filter((run) => run.status === undefined).length;
        const charges = [...api.calls.entries()].filter(([key]) => key !== 'none');
        const duplicated = charges.filter(([, count]) => count > 1);
        const extra = duplicated.reduce((sum, [, count]) => sum + count - 1, 0);
        const latency = (caught: RunRecord[]) => caught.filter((run) => run.closedAt !== undefined).map((run) => run.closedAt! - run.startedAt);
        const lines = [
          `faults benchmark: ${total} runs, ${concurrency} concurrent, tool calls of ${callMs} ms; two worker SIGKILLs and one Temporal restart; ${seconds.toFixed(0)} s`,
          `runs: ${completed} completed, ${failed} failed, ${stuck} stuck (open ${STUCK_AFTER_MS / 1000} s after the last fault)`,
          `irreversible calls: ${charges.length} idempotency keys, ${duplicated.length} keys called more than once (${extra} extra calls, each with the same key)`,
        ];
        ['kill 1', 'kill 2', 'Temporal restart'].forEach((label, index) => {
          const samples = latency(inFlightAtKill[index] ?? []);
          lines.push(
            samples.length === 0
              ? `${label}: no run in flight`
              : `${label}: ${samples.length} runs in flight, start-to-close p50 ${(percentile(samples, 0.5) / 1000).toFixed(1)} s, p99 ${(percentile(samples, 0.99) / 1000).toFixed(1)} s, max ${(Math.max(...samples) / 1000).toFixed(1)} s`,
          );
        });
        const untouched = latency(runs.filter((run) => !inFlightAtKill.some((caught) => caught.includes(run))));
        lines.push(`runs no fault caught: p50 ${(percentile(untouched, 0.5) / 1000).toFixed(1)} s, p99 ${(percentile(untouched, 0.99) / 1000).toFixed(1)} s`);
        console.log(lines.join('\n'));
      } finally {
        await client.close();
        await status.connection.close();
        worker?.kill('SIGTERM');
        if (worker && worker.exitCode === null) await new Promise((resolve) => worker!.once('exit', resolve));
      }
    });
  } finally {
    await api.close();
    const stopped = await stopStack(env);
    say(`stopped ${stopped.join(', ') || 'nothing'}`);
    if (keep) say(`kept ${stateDir} (logs/) for inspection`);
    else {
      rmSync(stateDir, { recursive: true, force: true });
      if (process.getuid?.() === 0) rmSync(dirname(ownedDataDir(stateDir)), { recursive: true, force: true });
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

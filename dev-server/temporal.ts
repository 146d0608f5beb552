// The Temporal CLI dev server: found on PATH or in the cache, else built once from the Go module proxy.
// It keeps its state in a SQLite file, so runs survive a restart of the stack.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { buildLogFile, runGo } from './go-build';
import { isPortOpen, spawnDetached, waitFor, which } from './processes';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export function findOrBuildTemporal(cacheDir: string, log: (line: string) => void): string {
  const onPath = which('temporal');
  if (onPath) return onPath;
  const binDir = join(cacheDir, 'bin');
  const cached = join(binDir, 'temporal');
  if (existsSync(cached)) return cached;
  if (!which('go')) {
    throw new Error('the temporal CLI is not on PATH and Go is not installed to build it: install Go or put `temporal` on PATH');
  }
  const logFile = buildLogFile(cacheDir, 'temporal');
  const started = Date.now();
  log(`building the temporal CLI (${TEMPORAL_CLI_MODULE}) into ${binDir}: this happens once per machine and takes about 3–6 minutes on two cores; go's output goes to ${logFile}`);
  mkdirSync(binDir, { recursive: true });
  runGo({ args: ['install', TEMPORAL_CLI_MODULE], env: { ...process.env, GOBIN: binDir, GOFLAGS: '-mod=mod' }, logFile });
  if (!existsSync(cached)) throw new Error(`building the temporal CLI left no binary at ${cached} (see ${logFile})`);
  log(`built the temporal CLI in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}

export interface TemporalServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  /** The HTTP API's port; the CLI's default (port + 1000) when omitted. */
  httpPort?: number;
  dbFile: string;
  logFile: string;
  namespaces: string[];
  codecEndpoint?: string;
}

/** How long the dev server caches a task queue's statistics. */
export const TASK_QUEUE_STATS_TTL = '1s';

export function startTemporalServer(options: TemporalServerOptions): number {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    ...(options.httpPort === undefined ? [] : ['--http-port', String(options.httpPort)]),
    '--db-filename', options.dbFile,
    '--log-format', 'json',
    '--log-level', 'warn',
    // Task-queue statistics, which workers read to see work arrive for a tenant without a Worker, are cached for 5 s
    // by default: a cold tenant's wake-up waited on that cache more than on anything else.
    '--dynamic-config-value', `matching.TaskQueueInfoByBuildIdTTL=${JSON.stringify(TASK_QUEUE_STATS_TTL)}`,
    ...options.namespaces.flatMap((namespace) => ['--namespace', namespace]),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  return spawnDetached({ command: options.binary, args, logFile: options.logFile });
}

export async function isTemporalHealthy(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  if (!(await isPortOpen(Number(port), host))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

export async function waitForTemporal(address: string, logFile: string): Promise<void> {
  await waitFor('the Temporal dev server', () => isTemporalHealthy(address), 60_000, logFile);
}

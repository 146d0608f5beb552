// Jaeger for the local stack: the v2 binary (an OpenTelemetry Collector build) found on PATH or in the cache, else
// built once from the Go module proxy, and run all-in-one from a generated config: OTLP receivers, in-memory storage
// and the query UI, all on loopback ports the stack chooses.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLogFile, runGo } from './go-build';
import { spawnDetached, waitFor, which } from './processes';

export const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';
export const JAEGER_VERSION = 'v1.75.0';

/** Traces kept in memory; the oldest go first. A dev stack never needs more, and memory stays bounded. */
const MAX_TRACES = 20_000;

export function findOrBuildJaeger(cacheDir: string, log: (line: string) => void): string {
  const onPath = which('jaeger');
  if (onPath) return onPath;
  const binDir = join(cacheDir, 'bin');
  const cached = join(binDir, 'jaeger');
  if (existsSync(cached)) return cached;
  if (!which('go')) {
    throw new Error('jaeger is not on PATH and Go is not installed to build it: install Go or put `jaeger` on PATH');
  }
  const logFile = buildLogFile(cacheDir, 'jaeger');
  const started = Date.now();
  log(`building jaeger (${JAEGER_PACKAGE}@${JAEGER_VERSION}) into ${binDir}: this happens once per machine and takes about 10–15 minutes on two cores; go's output goes to ${logFile}`);
  // `go install pkg@version` refuses Jaeger's module (its go.mod has replace directives): a module of our own
  // requires it as a tool instead, and builds from there.
  const moduleDir = join(cacheDir, 'jaeger-module');
  mkdirSync(moduleDir, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  if (!existsSync(join(moduleDir, 'go.mod'))) runGo({ args: ['mod', 'init', 'steward.local/jaeger'], cwd: moduleDir, env, logFile });
  runGo({ args: ['get', '-tool', `${JAEGER_PACKAGE}@${JAEGER_VERSION}`], cwd: moduleDir, env, logFile });
  // Built under a temporary name and renamed, so an interrupted build never leaves a half-written binary behind.
  const partial = `${cached}.partial-${process.pid}`;
  runGo({ args: ['build', '-o', partial, JAEGER_PACKAGE], cwd: moduleDir, env, logFile });
  if (!existsSync(partial)) throw new Error(`building jaeger left no binary at ${partial} (see ${logFile})`);
  renameSync(partial, cached);
  log(`built jaeger in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}

export interface JaegerPorts {
  /** The query service: the Web UI and its HTTP API (/api/traces, /api/v3/traces). */
  uiPort: number;
  /** OTLP over HTTP: what the worker's exporter sends to (OTEL_EXPORTER_OTLP_ENDPOINT). */
  otlpHttpPort: number;
  otlpGrpcPort: number;
  /** The query service's gRPC API, which nothing here uses but Jaeger always opens. */
  queryGrpcPort: number;
}

/** The collector config of an all-in-one Jaeger on loopback: OTLP in, memory storage, query UI; no telemetry port. */
export function jaegerConfig(ports: JaegerPorts): string {
  const at = (port: number) => `127.0.0.1:${port}`;
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: ${MAX_TRACES}
  jaeger_query:
    storage:
      traces: memory_store
    http:
      endpoint: ${at(ports.uiPort)}
    grpc:
      endpoint: ${at(ports.queryGrpcPort)}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${at(ports.otlpGrpcPort)}
      http:
        endpoint: ${at(ports.otlpHttpPort)}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
`;
}

export interface JaegerServerOptions {
  binary: string;
  ports: JaegerPorts;
  configFile: string;
  logFile: string;
}

export function startJaegerServer(options: JaegerServerOptions): number {
  writeFileSync(options.configFile, jaegerConfig(options.ports));
  return spawnDetached({ command: options.binary, args: ['--config', options.configFile], logFile: options.logFile });
}

export function jaegerUiUrl(uiPort: number): string {
  return `http://127.0.0.1:${uiPort}`;
}

export function otlpHttpEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Healthy when the query API answers: by then storage and the receivers are up (they start first). */
export async function isJaegerHealthy(uiUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${uiUrl}/api/services`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function waitForJaeger(uiUrl: string, logFile: string): Promise<void> {
  await waitFor('Jaeger', () => isJaegerHealthy(uiUrl), 60_000, logFile);
}

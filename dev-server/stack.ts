// Brings the local stack up and down: Postgres, the Temporal dev server, Jaeger, the STS, the model server and a
// worker, all on loopback,
// with state and logs under one folder. Starting is idempotent: parts that already run are kept.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StewardEnv } from '../src/config/env';
import { findProjectRoot } from '../src/config/project-root';
import { readStackFile, writeStackFile, type StackFile } from '../src/config/stack-file';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { Connection } from '@temporalio/client';
import { assertTenantId } from '../src/tenancy/tenant-id';
import { listTenants } from '../src/tenancy/tenant-registry';
import { createTenant } from '../src/tenancy/tenant-service';
import { setTenantEgressAllow } from '../src/egress/tenant-egress';
import { findFreePort, isAlive, isPortOpen, isSameProcess, processStartTicks, spawnDetached, stopProcess, waitFor } from './processes';
import { findWorkerProcesses } from './worker-processes';
import {
  OWNED_DATABASE,
  ensureDatabase,
  findPostgresBinDir,
  isPostgresHealthy,
  ownedDataDir,
  ownedPostgresUrl,
  postmasterPid,
  startOwnedPostgres,
} from './postgres';
import { isModelServerHealthy } from './model-server/health';
import { DEV_MODEL_SERVER_KEY } from './model-server/server';
import { demoModelKeys } from './vault-seed';
import { DEMO_TENANTS, findOrBuildVault, isVaultHealthy, seedVault, startVaultServer, unsealVault, vaultAddress, waitForVault } from './vault';
import { isStsHealthy } from './sts/is-sts-healthy';
import { findOrBuildTemporal, isTemporalHealthy, startTemporalServer, waitForTemporal } from './temporal';
import { ensureFederationPki, federationPkiFiles, isFederationServerHealthy } from './federation-pki';
import { findOrBuildJaeger, isJaegerHealthy, jaegerUiUrl, otlpHttpEndpoint, startJaegerServer, waitForJaeger } from './jaeger';

export interface StackOptions {
  env: StewardEnv;
  /** Start a worker process too (the dev stack does; tests run their own workers). */
  withWorker: boolean;
  /** Tenants to create when missing (the dev stack seeds `demo`). */
  seedTenants?: string[];
  log?: (line: string) => void;
}

export interface StackStatus {
  temporal: { address: string; ui: string; binary: string; healthy: boolean };
  postgres: { url: string; healthy: boolean };
  /** The stack's own worker: healthy only while it runs and its /healthz says it serves every tenant it should. */
  worker: {
    pid: number | null;
    healthy: boolean;
    health_url: string | null;
    /** What its /healthz answered: tenants served out of expected, and each tenant's state. */
    serving?: number;
    /** Of those, tenants whose Worker runs now; the others are idle, watched for work. */
    active?: number;
    expected?: number;
    tenants?: Record<string, { state: string; restarts: number; last_error?: string }>;
    /** Worker processes of this state folder the stack did not start (by hand): not managed, not stopped. */
    others: number[];
  };
  vault: { address: string; root_token: string; healthy: boolean };
  /** Jaeger: the trace UI, and the OTLP/HTTP endpoint the stack's worker exports its spans to. */
  jaeger: { ui: string; otlp_endpoint: string; healthy: boolean };
  sts: { issuer: string; healthy: boolean };
  llm: { base_url: string; healthy: boolean };
  expenses_api: { url: string; healthy: boolean };
  approvals_gateway: { url: string; healthy: boolean };
  codec_server: { url: string; healthy: boolean };
  federation_server: { url: string; healthy: boolean };
  logs_dir: string;
}

/** What each Node service calls its address in `dev status --json`. */
const ADDRESS_KEYS = { sts: 'issuer', llm: 'base_url', expenses_api: 'url', approvals_gateway: 'url', codec_server: 'url', federation_server: 'url' } as const;

/** A loopback service of the stack that runs as a Node process from the built tree. */
interface NodeService {
  name: NodeServiceName;
  /** The entry point, relative to the package root. */
  script: string;
  args: string[];
  url: string;
  isHealthy(url: string): Promise<boolean>;
}

type NodeServiceName = keyof typeof ADDRESS_KEYS;

function nodeServices(env: StewardEnv): NodeService[] {
  const sts = `http://127.0.0.1:${env.STEWARD_STS_PORT}`;
  const llm = `http://127.0.0.1:${env.STEWARD_LLM_PORT}`;
  const gateway = `http://127.0.0.1:${env.STEWARD_GATEWAY_PORT}`;
  return [
    {
      name: 'sts',
      script: 'dist/dev-server/sts/main.js',
      // Keys persist across restarts so tokens minted before a restart still verify.
      args: ['--port', String(env.STEWARD_STS_PORT), '--issuer', sts, '--keys-file', join(env.STEWARD_STATE_DIR, 'sts-keys.json')],
      url: sts,
      isHealthy: isStsHealthy,
    },
    {
      name: 'llm',
      script: 'dist/dev-server/model-server/main.js',
      // The demo tenants' own keys (BYOK, seeded in Vault) and the server's dev key, so examples run as shipped.
      args: ['--port', String(env.STEWARD_LLM_PORT), ...[DEV_MODEL_SERVER_KEY, ...demoModelKeys(DEMO_TENANTS)].flatMap((key) => ['--api-key', key])],
      url: llm,
      isHealthy: isModelServerHealthy,
    },
    // The demo resource server of examples/expense-approval.yaml: it accepts the STS's tokens for expenses-api.
    {
      name: 'expenses_api',
      script: 'dist/dev-server/expenses-api/main.js',
      args: ['--port', String(env.STEWARD_EXPENSES_PORT), '--issuer', sts],
      url: `http://127.0.0.1:${env.STEWARD_EXPENSES_PORT}`,
      isHealthy: (url) => fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false),
    },
    // Started last: it reads the stack file for the database, Temporal and the STS.
    {
      name: 'approvals_gateway',
      script: 'bin/steward.js',
      args: ['approvals-gateway', '--port', String(env.STEWARD_GATEWAY_PORT)],
      url: gateway,
      isHealthy: (url) => fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false),
    },
    // The dev Web UI has no login to pass on, so its codec server runs in development mode: loopback, masked views.
    {
      name: 'codec_server',
      script: 'bin/steward.js',
      args: ['codec-server', '--port', String(env.STEWARD_CODEC_PORT), '--dev-no-auth'],
      url: codecServerUrl(env),
      isHealthy: (url) => fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false),
    },
    // Serves the tenants' exposed definitions over A2A with mutual TLS; its certificate is from the stack's own CA.
    {
      name: 'federation_server',
      script: 'bin/steward.js',
      args: ['federation', 'serve', '--port', String(env.STEWARD_FEDERATION_PORT), '--cert', federationPkiFiles(env.STEWARD_STATE_DIR).certFile, '--key', federationPkiFiles(env.STEWARD_STATE_DIR).keyFile],
      url: `https://127.0.0.1:${env.STEWARD_FEDERATION_PORT}`,
      isHealthy: (url) => isFederationServerHealthy(url, env.STEWARD_STATE_DIR),
    },
  ];
}

function codecServerUrl(env: StewardEnv): string {
  return `http://127.0.0.1:${env.STEWARD_CODEC_PORT}`;
}

export type StackPart = 'postgres' | 'temporal' | 'vault' | 'jaeger' | 'worker' | NodeServiceName;

export interface StartedStack {
  stack: StackFile;
  /** The parts this call started (rather than found running). */
  started: StackPart[];
}

/** Starts what is missing; if a part fails to start, the parts this call started are stopped again. */
export async function startStack(options: StackOptions): Promise<StartedStack> {
  const started: StartedStack['started'] = [];
  try {
    return await startParts(options, started);
  } catch (error) {
    await stopStack(options.env, started).catch(() => undefined);
    throw error;
  }
}

async function startParts(options: StackOptions, started: StartedStack['started']): Promise<StartedStack> {
  const { env } = options;
  const log = options.log ?? (() => undefined);
  const stateDir = env.STEWARD_STATE_DIR;
  const logsDir = join(stateDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const previous = readStackFile(stateDir);

  const postgres = await startPostgres(env, logsDir, log, () => started.push('postgres'));
  await ensureDatabase(postgres.url, new URL(postgres.url).pathname.slice(1));
  const pool = createPool(postgres.url, { max: 1 });
  let registered: string[];
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
    registered = (await listTenants(pool)).map((tenant) => tenant.id);
  } finally {
    await pool.end();
  }

  const address = `127.0.0.1:${env.STEWARD_TEMPORAL_PORT}`;
  const ui = `http://127.0.0.1:${env.STEWARD_TEMPORAL_UI_PORT}`;
  const binary = findOrBuildTemporal(env.STEWARD_CACHE_DIR, log);
  let temporalPid = previous?.temporal.pid;
  if (!(await isTemporalHealthy(address))) {
    const logFile = join(logsDir, 'temporal.log');
    log(`starting the Temporal dev server on ${address} (Web UI ${ui})`);
    temporalPid = startTemporalServer({
      binary,
      port: env.STEWARD_TEMPORAL_PORT,
      uiPort: env.STEWARD_TEMPORAL_UI_PORT,
      dbFile: join(stateDir, 'temporal.sqlite'),
      logFile,
      namespaces: [],
      codecEndpoint: codecServerUrl(env),
    });
    await waitForTemporal(address, logFile);
    started.push('temporal');
  }

  // Recorded at once, so `dev stop` finds what was started even if a later part fails to start.
  writeStackFile(stateDir, { temporal: { address, ui, binary, pid: temporalPid }, postgres, worker: previous?.worker ?? {}, vault: previous?.vault, jaeger: previous?.jaeger, services: previous?.services ?? {}, logs_dir: logsDir });
  if (options.seedTenants?.length) await seedTenants(env, postgres.url, address, options.seedTenants, log);
  const vaultTenants = [...new Set([...DEMO_TENANTS, ...(options.seedTenants ?? []), ...registered])];
  const vault = await startVault(env, logsDir, previous?.vault, vaultTenants, log, (startedVault) => {
    started.push('vault');
    recordPart(stateDir, { vault: startedVault });
  });

  const jaeger = await startJaeger(env, logsDir, previous?.jaeger, log, (startedJaeger) => {
    started.push('jaeger');
    recordPart(stateDir, { jaeger: startedJaeger });
  });

  const services: StackFile['services'] = {};
  await ensureFederationPki(stateDir);
  for (const service of nodeServices(env)) {
    services[service.name] = { url: service.url, pid: previous?.services[service.name]?.pid };
    if (await service.isHealthy(service.url)) continue;
    const logFile = join(logsDir, `${service.name}.log`);
    log(`starting ${service.name} on ${service.url}`);
    services[service.name]!.pid = spawnDetached({
      command: process.execPath,
      args: [join(findProjectRoot(), service.script), ...service.args],
      logFile,
      env: { ...process.env, STEWARD_STATE_DIR: stateDir },
    });
    started.push(service.name);
    recordPart(stateDir, { services: { ...services } });
    await waitFor(service.name, () => service.isHealthy(service.url), 30_000, logFile);
  }

  const stack: StackFile = {
    temporal: { address, ui, binary, pid: temporalPid },
    postgres,
    vault,
    jaeger,
    worker: previous?.worker ?? {},
    services,
    logs_dir: logsDir,
  };
  // Only the worker this stack started counts: a dead one (killed, or its pid now another process's) is replaced.
  if (options.withWorker && !isSameProcess(stack.worker.pid, stack.worker.start_ticks)) {
    stack.worker = await startWorkerProcess(stack, stateDir, logsDir);
    started.push('worker');
    recordPart(stateDir, { worker: stack.worker });
    // Ready means serving every tenant, which takes building the workflow bundle first.
    const healthUrl = stack.worker.health_url!;
    await waitFor('the worker', () => fetch(healthUrl, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false), 180_000, join(logsDir, 'worker.log'));
  }
  if (options.withWorker) {
    const others = findWorkerProcesses(stateDir).filter((pid) => pid !== stack.worker.pid);
    if (others.length > 0) {
      log(`worker pid ${others.join(', ')} was not started by the stack: it runs beside the stack's worker (both serve the same tenants), is not in its status, and \`dev stop\` leaves it running`);
    }
  }
  writeStackFile(stateDir, stack);
  return { stack, started };
}

async function startPostgres(env: StewardEnv, logsDir: string, log: (line: string) => void, onStart: () => void): Promise<StackFile['postgres']> {
  if (env.DATABASE_URL) {
    await waitFor(`PostgreSQL at DATABASE_URL`, () => isPostgresHealthy(adminUrl(env.DATABASE_URL!)), 10_000);
    return { url: env.DATABASE_URL, owned: false };
  }
  const dataDir = ownedDataDir(env.STEWARD_STATE_DIR);
  const url = ownedPostgresUrl(env.STEWARD_POSTGRES_PORT, OWNED_DATABASE);
  if (!postmasterPid(dataDir) && (await isPostgresHealthy(ownedPostgresUrl(env.STEWARD_POSTGRES_PORT, 'postgres')))) {
    // Someone else's cluster answers on the port (another checkout's stack, say): use it, never stop it.
    log(`using the PostgreSQL already listening on 127.0.0.1:${env.STEWARD_POSTGRES_PORT}`);
    return { url, owned: false };
  }
  if (!postmasterPid(dataDir)) {
    log(`starting PostgreSQL on 127.0.0.1:${env.STEWARD_POSTGRES_PORT} (data in ${dataDir})`);
    await startOwnedPostgres(findPostgresBinDir(log), { dataDir, port: env.STEWARD_POSTGRES_PORT, logFile: join(logsDir, 'postgres.log') });
    onStart();
  }
  return { url, owned: true, data_dir: dataDir };
}

/** Adds parts to the stack file as they start, so a failed start can still be stopped. */
function recordPart(stateDir: string, part: Partial<StackFile>): void {
  const current = readStackFile(stateDir);
  if (current) writeStackFile(stateDir, { ...current, ...part });
}

/** Jaeger keeps traces in memory: a restart starts empty. Its query gRPC port is one nobody configures. */
async function startJaeger(
  env: StewardEnv,
  logsDir: string,
  previous: StackFile['jaeger'],
  log: (line: string) => void,
  onStart: (jaeger: NonNullable<StackFile['jaeger']>) => void,
): Promise<NonNullable<StackFile['jaeger']>> {
  const ui = jaegerUiUrl(env.STEWARD_JAEGER_UI_PORT);
  const otlp = otlpHttpEndpoint(env.STEWARD_OTLP_PORT);
  const binary = findOrBuildJaeger(env.STEWARD_CACHE_DIR, log);
  if (await isJaegerHealthy(ui)) return { ui, otlp_endpoint: otlp, binary, pid: previous?.ui === ui ? previous.pid : undefined };
  const logFile = join(logsDir, 'jaeger.log');
  log(`starting Jaeger (traces UI ${ui}, OTLP ${otlp})`);
  const pid = startJaegerServer({
    binary,
    ports: { uiPort: env.STEWARD_JAEGER_UI_PORT, otlpHttpPort: env.STEWARD_OTLP_PORT, otlpGrpcPort: env.STEWARD_OTLP_GRPC_PORT, queryGrpcPort: await findFreePort() },
    configFile: join(env.STEWARD_STATE_DIR, 'jaeger.yaml'),
    logFile,
  });
  const jaeger = { ui, otlp_endpoint: otlp, binary, pid };
  onStart(jaeger);
  await waitForJaeger(ui, logFile);
  return jaeger;
}

/** Vault keeps its data in the state folder; every start unseals it and seeds every tenant in it (idempotently). */
async function startVault(
  env: StewardEnv,
  logsDir: string,
  previous: StackFile['vault'],
  tenants: readonly string[],
  log: (line: string) => void,
  onStart: (vault: NonNullable<StackFile['vault']>) => void,
): Promise<NonNullable<StackFile['vault']>> {
  const address = vaultAddress(env.STEWARD_VAULT_PORT);
  const binary = findOrBuildVault(env.STEWARD_CACHE_DIR, log);
  if (previous && previous.address === address && (await isVaultHealthy(address))) return previous;
  // A Vault this stack did not start cannot be used: its root token is unknown.
  if (await isPortOpen(env.STEWARD_VAULT_PORT)) throw new Error(`port ${env.STEWARD_VAULT_PORT} is taken by another process: set STEWARD_VAULT_PORT`);
  const logFile = join(logsDir, 'vault.log');
  const dataDir = join(env.STEWARD_STATE_DIR, 'vault');
  log(`starting Vault on ${address} (data in ${dataDir})`);
  const pid = startVaultServer({ binary, port: env.STEWARD_VAULT_PORT, logFile, dataDir });
  let rootToken: string;
  try {
    rootToken = await unsealVault(address, dataDir, logFile);
  } catch (error) {
    await stopProcess(pid, 'SIGTERM');
    throw error;
  }
  const vault = { address, root_token: rootToken, binary, pid };
  onStart(vault);
  await waitForVault(address, logFile);
  await seedVault({ address, rootToken, tenants });
  return vault;
}

async function seedTenants(env: StewardEnv, databaseUrl: string, address: string, ids: string[], log: (line: string) => void): Promise<void> {
  const admin = createPool(databaseUrl, { max: 1 });
  const connection = await Connection.connect({ address });
  try {
    for (const id of ids) {
      const { namespace } = await createTenant({ admin, connection, env }, assertTenantId(id));
      // The demo tenants' tool calls may reach the demo expenses API on loopback, and nothing else local.
      await setTenantEgressAllow(admin, assertTenantId(id), [`127.0.0.1:${env.STEWARD_EXPENSES_PORT}`], { onlyIfUnset: true });
      if (namespace === 'created') log(`created tenant ${id}`);
    }
  } finally {
    await connection.close();
    await admin.end();
  }
}

async function startWorkerProcess(stack: StackFile, stateDir: string, logsDir: string): Promise<StackFile['worker']> {
  const bin = join(findProjectRoot(), 'bin', 'steward.js');
  const healthPort = await findFreePort();
  const pid = spawnDetached({
    command: process.execPath,
    args: [bin, 'worker', '--health-port', String(healthPort)],
    logFile: join(logsDir, 'worker.log'),
    env: {
      ...process.env,
      DATABASE_URL: stack.postgres.url,
      TEMPORAL_ADDRESS: stack.temporal.address,
      STEWARD_STATE_DIR: stateDir,
      // The stack's worker traces its runs into the stack's Jaeger, unless the environment names a collector.
      ...(stack.jaeger && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? { OTEL_EXPORTER_OTLP_ENDPOINT: stack.jaeger.otlp_endpoint } : {}),
    },
  });
  return { pid, start_ticks: processStartTicks(pid), health_url: `http://127.0.0.1:${healthPort}/healthz` };
}

/** Stops the parts the stack started (all of them by default), in the reverse order of starting. */
export async function stopStack(
  env: StewardEnv,
  parts: readonly StackPart[] = ['worker', 'federation_server', 'codec_server', 'approvals_gateway', 'expenses_api', 'llm', 'sts', 'jaeger', 'vault', 'temporal', 'postgres'],
): Promise<string[]> {
  const stack = readStackFile(env.STEWARD_STATE_DIR);
  if (!stack) return [];
  const stopped: string[] = [];
  if (parts.includes('worker') && isSameProcess(stack.worker.pid, stack.worker.start_ticks)) {
    await stopProcess(stack.worker.pid!, 'SIGTERM');
    stopped.push('worker');
  }
  const services = { ...stack.services };
  for (const { name } of nodeServices(env).reverse()) {
    const service = services[name];
    if (!parts.includes(name) || !service) continue;
    if (isAlive(service.pid)) {
      await stopProcess(service.pid!, 'SIGTERM');
      stopped.push(name);
    }
    services[name] = { url: service.url };
  }
  if (parts.includes('jaeger') && isAlive(stack.jaeger?.pid)) {
    await stopProcess(stack.jaeger!.pid!, 'SIGTERM');
    stopped.push('jaeger');
  }
  if (parts.includes('vault') && isAlive(stack.vault?.pid)) {
    await stopProcess(stack.vault!.pid!, 'SIGTERM');
    stopped.push('vault');
  }
  if (parts.includes('temporal') && isAlive(stack.temporal.pid)) {
    await stopProcess(stack.temporal.pid!, 'SIGTERM');
    stopped.push('temporal');
  }
  const postmaster = stack.postgres.owned && stack.postgres.data_dir ? postmasterPid(stack.postgres.data_dir) : undefined;
  if (parts.includes('postgres') && postmaster) {
    // SIGINT is PostgreSQL's "fast" shutdown: it ends sessions and checkpoints, without waiting for clients to leave.
    await stopProcess(postmaster, 'SIGINT', 30_000);
    stopped.push('postgres');
  }
  writeStackFile(env.STEWARD_STATE_DIR, {
    ...stack,
    services,
    vault: parts.includes('vault') ? undefined : stack.vault,
    jaeger: parts.includes('jaeger') && stack.jaeger ? { ...stack.jaeger, pid: undefined } : stack.jaeger,
    temporal: { ...stack.temporal, pid: parts.includes('temporal') ? undefined : stack.temporal.pid },
    worker: parts.includes('worker') ? {} : stack.worker,
  });
  return stopped;
}

export async function stackStatus(env: StewardEnv): Promise<StackStatus | undefined> {
  const stack = readStackFile(env.STEWARD_STATE_DIR);
  if (!stack) return undefined;
  const vaultUrl = stack.vault?.address ?? vaultAddress(env.STEWARD_VAULT_PORT);
  const jaegerUi = stack.jaeger?.ui ?? jaegerUiUrl(env.STEWARD_JAEGER_UI_PORT);
  const [worker, temporalHealthy, postgresHealthy, vaultHealthy, jaegerHealthy, ...serviceHealth] = await Promise.all([
    workerStatus(stack.worker, env.STEWARD_STATE_DIR),
    isTemporalHealthy(stack.temporal.address),
    isPostgresHealthy(stack.postgres.url),
    isVaultHealthy(vaultUrl),
    isJaegerHealthy(jaegerUi),
    ...nodeServices(env).map(async (service) => {
      const url = stack.services[service.name]?.url ?? service.url;
      return [service.name, { [ADDRESS_KEYS[service.name]]: url, healthy: await service.isHealthy(url) }] as const;
    }),
  ]);
  return {
    temporal: { address: stack.temporal.address, ui: stack.temporal.ui, binary: stack.temporal.binary, healthy: temporalHealthy },
    postgres: { url: stack.postgres.url, healthy: postgresHealthy },
    worker,
    vault: { address: vaultUrl, root_token: stack.vault?.root_token ?? '', healthy: vaultHealthy },
    jaeger: { ui: jaegerUi, otlp_endpoint: stack.jaeger?.otlp_endpoint ?? otlpHttpEndpoint(env.STEWARD_OTLP_PORT), healthy: jaegerHealthy },
    ...(Object.fromEntries(serviceHealth) as Pick<StackStatus, NodeServiceName>),
    logs_dir: stack.logs_dir,
  };
}

async function workerStatus(worker: StackFile['worker'], stateDir: string): Promise<StackStatus['worker']> {
  const running = isSameProcess(worker.pid, worker.start_ticks);
  const others = findWorkerProcesses(stateDir).filter((pid) => !running || pid !== worker.pid);
  const base = { pid: running ? worker.pid! : null, health_url: worker.health_url ?? null, others };
  if (!running) return { ...base, healthy: false };
  // A worker started before it had a health endpoint: alive is all that can be told.
  if (!worker.health_url) return { ...base, healthy: true };
  try {
    const response = await fetch(worker.health_url, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as Pick<StackStatus['worker'], 'serving' | 'active' | 'expected' | 'tenants'>;
    return { ...base, healthy: response.status === 200, serving: body.serving, active: body.active, expected: body.expected, tenants: body.tenants };
  } catch {
    // Still starting (building its bundle), or hung: not serving either way.
    return { ...base, healthy: false };
  }
}

/** Worker processes of this state folder that the stack did not start; `dev stop` leaves them running. */
export function unmanagedWorkers(env: StewardEnv): number[] {
  const stack = readStackFile(env.STEWARD_STATE_DIR);
  const own = stack && isSameProcess(stack.worker.pid, stack.worker.start_ticks) ? stack.worker.pid : undefined;
  return findWorkerProcesses(env.STEWARD_STATE_DIR).filter((pid) => pid !== own);
}

export function isStackHealthy(status: StackStatus): boolean {
  return [status.temporal, status.postgres, status.vault, status.jaeger, status.worker, status.sts, status.llm, status.expenses_api, status.approvals_gateway, status.codec_server, status.federation_server].every((part) => part.healthy);
}

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}


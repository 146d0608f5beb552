// Postgres for the local stack: DATABASE_URL when set, else a cluster owned by the project, on its own port.
// PostgreSQL refuses to run as root, so under root its binaries run as the `postgres` user, with the data
// directory in a place that user can reach.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { isAlive, isPortOpen, spawnDetached, waitFor, which } from './processes';

export const OWNED_DATABASE = 'steward';

export interface OwnedPostgres {
  dataDir: string;
  port: number;
  logFile: string;
}

const isRoot = () => process.getuid?.() === 0;

export function ownedPostgresUrl(port: number, database = OWNED_DATABASE): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`;
}

/** Under root the data directory lives where the postgres user can reach it, keyed by the state folder. */
export function ownedDataDir(stateDir: string): string {
  if (!isRoot()) return join(stateDir, 'postgres');
  const key = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return join('/var/lib/steward', key, 'postgres');
}

export function findPostgresBinDir(log: (line: string) => void): string {
  const found = locateBinDir();
  if (found) return found;
  if (!isRoot() || !which('apt-get')) {
    throw new Error('PostgreSQL is not installed: install the `postgresql` package, or set DATABASE_URL');
  }
  log('installing PostgreSQL from Debian packages (apt-get install postgresql); this happens once');
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
  }
  const installed = locateBinDir();
  if (!installed) throw new Error('PostgreSQL was installed but its binaries were not found under /usr/lib/postgresql');
  return installed;
}

function locateBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? initdb.replace(/\/initdb$/, '') : undefined;
}

function runAsPostgres(binary: string, args: string[]): { status: number | null; output: string } {
  const [command, fullArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  const result = spawnSync(command as string, fullArgs as string[], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Starts the project's own cluster (creating it first if needed) and returns the postmaster's pid. */
export async function startOwnedPostgres(binDir: string, spec: OwnedPostgres): Promise<number> {
  if (!existsSync(join(spec.dataDir, 'PG_VERSION'))) {
    // Parents stay traversable (0755) so the postgres user can reach its 0700 data directory.
    mkdirSync(dirname(spec.dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(spec.dataDir, { mode: 0o700 });
    if (isRoot()) {
      const { uid, gid } = postgresUser();
      chownSync(spec.dataDir, uid, gid);
    }
    const init = runAsPostgres(join(binDir, 'initdb'), ['-D', spec.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.output.trim()}`);
  }
  const running = postmasterPid(spec.dataDir);
  if (running) return running;
  if (await isPortOpen(spec.port)) throw new Error(`port ${spec.port} is taken by another process: set STEWARD_POSTGRES_PORT, or DATABASE_URL to use that server`);
  const args = ['-D', spec.dataDir, '-p', String(spec.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  const [command, fullArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', join(binDir, 'postgres'), ...args]] : [join(binDir, 'postgres'), args];
  spawnDetached({ command: command as string, args: fullArgs as string[], logFile: spec.logFile });
  const url = ownedPostgresUrl(spec.port, 'postgres');
  await waitFor('PostgreSQL', () => isPostgresHealthy(url), 60_000, spec.logFile);
  const pid = postmasterPid(spec.dataDir);
  if (!pid) throw new Error(`PostgreSQL started but wrote no postmaster.pid (see ${spec.logFile})`);
  return pid;
}

/** The live postmaster's pid from its pid file, if it runs. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return isAlive(pid) ? pid : undefined;
}

export async function isPostgresHealthy(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a database when missing; the connection URL names the server, the name the database. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

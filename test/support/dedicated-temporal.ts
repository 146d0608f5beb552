// A Temporal dev server of one suite's own, which the suite may kill and start again for real without touching the
// shared test stack's server (other suites use it at the same time). It restarts on the same port and SQLite file,
// so its history survives, as a production server's would.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, stopProcess } from '../../dev-server/processes';
import { startTemporalServer, waitForTemporal } from '../../dev-server/temporal';
import { readStackFile } from '../../src/config/stack-file';
import { testConfig } from './stack';

export interface DedicatedTemporal {
  address: string;
  /** Kills the server as a crash would (SIGKILL) and returns once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and state, and returns once it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its state. */
  stop(): Promise<void>;
}

/** Above the shared server's ports in the same range: STEWARD_TEMPORAL_PORT + 100 (its UI + 101, its HTTP API + 102). */
const PORT_OFFSET = 100;

export async function startDedicatedTemporal(name: string): Promise<DedicatedTemporal> {
  const { env } = testConfig();
  const binary = readStackFile(env.STEWARD_STATE_DIR)?.temporal.binary;
  if (!binary) throw new Error('the test stack has no Temporal binary');
  const port = env.STEWARD_TEMPORAL_PORT + PORT_OFFSET;
  const stateDir = join(env.STEWARD_STATE_DIR, name);
  mkdirSync(stateDir, { recursive: true });
  // A fresh file per suite run: runs of an earlier suite run have no worker any more.
  const dbFile = join(stateDir, `temporal-${process.env.STEWARD_TEST_RUN_ID ?? Date.now().toString(36)}.sqlite`);
  const logFile = join(stateDir, 'temporal.log');
  const address = `127.0.0.1:${port}`;
  let pid: number | undefined;
  const start = async () => {
    pid = startTemporalServer({ binary, port, uiPort: port + 1, httpPort: port + 2, dbFile, logFile, namespaces: [] });
    await waitForTemporal(address, logFile);
  };
  const stop = async (signal: NodeJS.Signals) => {
    if (pid !== undefined && isAlive(pid)) await stopProcess(pid, signal);
    pid = undefined;
  };
  await start();
  return {
    address,
    start,
    kill: () => stop('SIGKILL'),
    async stop() {
      await stop('SIGTERM');
      rmSync(dbFile, { force: true });
    },
  };
}

// Runs the Go toolchain for the one-time tool builds with its chatter (hundreds of `go: downloading …` lines) kept
// in a log file under the cache, so the console says what is built and how long it takes instead; on failure the
// error carries the log's last lines.
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GoRun {
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The build log, appended to. */
  logFile: string;
}

const FAILURE_TAIL_LINES = 30;

/** Where the one-time builds write go's output: `<cache>/build-logs/<tool>.log`. */
export function buildLogFile(cacheDir: string, tool: string): string {
  const dir = join(cacheDir, 'build-logs');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${tool}.log`);
}

/** Runs `go …` with its output in the log; throws with the log's tail when go fails. */
export function runGo(run: GoRun): void {
  const log = openSync(run.logFile, 'a');
  let status: number | null;
  try {
    status = spawnSync('go', run.args, { cwd: run.cwd, env: run.env ?? process.env, stdio: ['ignore', log, log] }).status;
  } finally {
    closeSync(log);
  }
  if (status === 0) return;
  const tail = readFileSync(run.logFile, 'utf8').trimEnd().split('\n').slice(-FAILURE_TAIL_LINES).join('\n');
  throw new Error(`go ${run.args.join(' ')} failed (exit ${status}); the last lines of ${run.logFile}:\n${tail}`);
}

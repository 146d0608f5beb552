// Finds `steward worker` processes of this stack that the stack did not start (started by hand against the same
// state folder), so `dev` can name them instead of silently running a second worker beside them or leaving them
// running on `dev stop` unannounced. Linux only (reads /proc); elsewhere it finds none.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';

export function findWorkerProcesses(stateDir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const wanted = resolve(stateDir);
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const bin = argv.findIndex((arg) => /steward(\.js)?$/.test(arg));
      if (bin < 0 || argv[bin + 1] !== 'worker') continue;
      if (stateDirOf(pid) === wanted) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The state folder a process uses: its STEWARD_STATE_DIR, or `.steward` in its working directory, as Steward reads it. */
function stateDirOf(pid: number): string {
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  const variable = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('STEWARD_STATE_DIR='));
  return resolve(cwd, variable ? variable.slice('STEWARD_STATE_DIR='.length) : '.steward');
}

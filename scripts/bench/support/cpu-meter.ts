// CPU time spent by this process (worker, client and workflow threads) and by the Temporal server process.
// On a shared machine wall-clock throughput is noisy; CPU time per run shows which side a variant costs more on.
import { readFileSync } from 'node:fs';

// Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  benchMs: number;
  /** Undefined when the server's process is not readable (not local, or not Linux). */
  serverMs?: number;
}

export function sampleCpu(serverPid: number | undefined): CpuSample {
  const own = process.cpuUsage();
  return { benchMs: (own.user + own.system) / 1000, serverMs: serverPid === undefined ? undefined : processCpuMs(serverPid) };
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuSample {
  const serverMs = before.serverMs === undefined || after.serverMs === undefined ? undefined : after.serverMs - before.serverMs;
  return { benchMs: after.benchMs - before.benchMs, serverMs };
}

function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

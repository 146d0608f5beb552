// What a process costs, read from /proc: resident memory, and CPU time as a share of one core over a window.
import { readFileSync } from 'node:fs';

// Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

/** Resident memory in MiB; 0 once the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** CPU each process burns over `windowMs`, as % of one core, in the order given. */
export async function measureCpuPercent(pids: number[], windowMs: number): Promise<number[]> {
  const before = pids.map(cpuTicks);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const seconds = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ((cpuTicks(pid) - before[i]!) / TICKS_PER_SECOND / seconds) * 100);
}

export function availableMemoryMiB(): number {
  const available = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(available) / 1024;
}

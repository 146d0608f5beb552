// Percentiles of a set of latency samples, and how the tenants benchmark prints them.

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

export function summarise(samplesMs: number[]): Latency {
  if (samplesMs.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN, count: 0 };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1)!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, count: sorted.length };
}

export const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
export const mib = (value: number) => value.toFixed(0);
export const ratio = (baseline: number, other: number) => (baseline > 0 && Number.isFinite(other) ? `${(other / baseline).toFixed(2)}x` : '-');
export const table = (rows: string[][]) => rows.map(([label, ...cells]) => [label!.padEnd(46), ...cells.map((c) => c.padStart(14))].join(' '));

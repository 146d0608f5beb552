// Runs `count` workflow executions with at most `concurrency` in flight and reports throughput and latency.

export interface BatchResult {
  runs: number;
  seconds: number;
  runsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  workflowIds: string[];
}

export async function runBatch(count: number, concurrency: number, runOne: (index: number) => Promise<string>): Promise<BatchResult> {
  const latencies: number[] = [];
  const workflowIds: string[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      workflowIds.push(await runOne(index));
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { runs: count, seconds, runsPerSecond: count / seconds, p50Ms: at(0.5), p95Ms: at(0.95), workflowIds };
}

// Shows a run's progress node by node while `steward run --wait` waits, by polling the run's state query.
import type { RunHandle } from '../client/run-handle';

const POLL_MS = 300;

export async function followProgress(run: RunHandle, finished: Promise<unknown>, write: (line: string) => void): Promise<void> {
  let settled = false;
  void finished.then(
    () => (settled = true),
    () => (settled = true),
  );
  let shownSteps = 0;
  let shownWaits = '';
  const show = async () => {
    const progress = await run.progress().catch(() => undefined);
    if (!progress) return;
    const fresh = Math.min(progress.steps - shownSteps, progress.path.length);
    for (const node of progress.path.slice(progress.path.length - fresh)) write(`  → ${node}`);
    shownSteps = progress.steps;
    const waits = progress.pending.map((w) => `${w.kind === 'approval' ? 'awaiting approval' : w.kind === 'signal' ? `waiting for signal ${w.signal}` : 'waiting'} at ${w.node}${w.until ? ` (until ${w.until})` : ''}`).join('; ');
    if (waits && waits !== shownWaits) write(`  … ${waits}`);
    shownWaits = waits;
  };
  while (!settled) {
    await show();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await show();
}

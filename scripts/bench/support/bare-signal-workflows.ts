// Bench-only workflow: the baseline for approval latency. It waits for a plain signal, then schedules the same
// runTool activity the approval benchmark's next step does. Deterministic code only.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../../activities';

export const goSignal = defineSignal('go');

const { runTool } = proxyActivities<Activities>({ startToCloseTimeout: '60 seconds' });

export async function bareSignalThenTool(target: string): Promise<unknown> {
  let received = false;
  setHandler(goSignal, () => {
    received = true;
  });
  await condition(() => received);
  const node = { type: 'tool' as const, tool: 'http', irreversible: false, request: { method: 'GET' as const, url: `${target}/after` } };
  return (await runTool({ nodeId: 'after', node, scope: {}, secretReferences: {} })).body;
}

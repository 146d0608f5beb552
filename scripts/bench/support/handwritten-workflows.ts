// Bench-only workflows: the interpreter benchmark's 5-step definition written by hand as ordinary Temporal code,
// calling the same runTool activity with the same requests. Deterministic code only, like workflows/.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import type { JsonValue, ToolNode } from '../../../src/ir/schema';

export interface FiveStepInput {
  target: string;
  amount: number;
}

// The interpreter's defaults for a tool node without timeout or retry, so both sides schedule identical activities.
const { runTool } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});
// agentWorkflow loads its definition with a local activity (no activity task, no extra workflow task): so does this.
const { prepareRun } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

const tool = (method: 'GET' | 'POST', url: string, body?: JsonValue): ToolNode => ({ type: 'tool', tool: 'http', irreversible: false, request: { method, url, body } });

const FETCH = tool('GET', '{{ input.target }}/fetch');
const ENRICH = tool('POST', '{{ input.target }}/enrich', { doubled: '{{ vars.doubled }}' });
const STORE = tool('POST', '{{ input.target }}/store', { route: '{{ nodes.route.output.branch }}' });

/** set → condition → three tool calls, as the benchmark's IR definition does. */
export async function handwrittenFiveSteps(input: FiveStepInput): Promise<unknown> {
  const vars = { doubled: input.amount * 2 };
  // Both outcomes go on to the same tool, as in the definition; the branch taken is kept for the last request.
  const route = { output: { branch: vars.doubled > 100 ? 0 : 'default' } };
  const call = (nodeId: string, node: ToolNode) => runTool({ nodeId, node, scope: { input, vars, nodes: { route } }, secretReferences: {} });
  await call('fetch', FETCH);
  await call('enrich', ENRICH);
  return (await call('store', STORE)).body;
}

/** The same, after the local prepareRun activity the interpreter starts every run with: the like-for-like comparison. */
export async function handwrittenFiveStepsWithPrepare(input: FiveStepInput & { workflow: string; version: number }): Promise<unknown> {
  await prepareRun({ workflow: input.workflow, version: input.version, input: { target: input.target, amount: input.amount } });
  return handwrittenFiveSteps(input);
}

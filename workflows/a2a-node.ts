// The `a2a` node: sends a message to another organisation's agent, then reads the remote task on a durable timer
// until it ends. The calls are activities (secrets, TLS and the network stay there); this file only waits and
// decides. The message id comes from the workflow's deterministic uuid, so a retried send names the same task.
import { ApplicationFailure, sleep, uuid4 } from '@temporalio/workflow';
import type { A2aCall } from '../activities/a2a';
import { parseDuration } from '../src/ir/duration';
import type { ExpressionScope } from '../src/ir/expressions';
import type { A2aNode } from '../src/ir/schema';
import type { NodeContext } from './node-context';

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled', 'rejected']);

export async function runA2aNode(interpreter: NodeContext, id: string, node: A2aNode, scope: ExpressionScope): Promise<unknown> {
  const definition = interpreter.prepared.definition;
  const call: A2aCall = { nodeId: id, node, scope, secretReferences: definition.secrets ?? {}, agent: definition.id };
  // `timeout` bounds the whole wait for the remote task; each call has the default activity timeout.
  const activities = interpreter.activities(node.retry ? { retry: node.retry } : {}, true);
  const startedAt = Date.now();
  const deadline = node.timeout === undefined ? undefined : startedAt + parseDuration(node.timeout);
  let task = await activities.sendA2aMessage({ ...call, messageId: uuid4() });
  const interval = parseDuration(node.poll_interval);
  await interpreter.waiting({ kind: 'timer', node: id, ...(deadline !== undefined ? { until: new Date(deadline).toISOString() } : {}) }, async () => {
    while (!TERMINAL.has(task.state)) {
      if (deadline !== undefined && Date.now() >= deadline) {
        throw ApplicationFailure.create({ type: 'WAIT_TIMEOUT', message: `nodes.${id}: the remote task did not end within ${node.timeout}`, nonRetryable: true });
      }
      await sleep(deadline === undefined ? interval : Math.min(interval, Math.max(1, deadline - Date.now())));
      task = await activities.getA2aTask({ ...call, taskId: task.taskId });
    }
  });
  if (task.state !== 'completed') {
    throw ApplicationFailure.create({ type: 'REMOTE_TASK_FAILED', message: `nodes.${id}: the remote task ended ${task.state}`, nonRetryable: true });
  }
  return { task_id: task.taskId, state: task.state, output: task.output ?? null };
}

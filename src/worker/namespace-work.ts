// Whether a tenant's namespace has work waiting for a Worker, seen from outside it: the backlog statistics Temporal
// keeps for each task queue (DescribeTaskQueue with report_stats). Every kind of work lands there once no Worker
// polls: a run started by any client, a signal or update, a timer firing on a run asleep for days, an activity retry
// coming due. A read of the matching service's counters, no history or visibility query: cheap enough to ask often.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TASK_QUEUE } from '../temporal/connection';

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
const PROBE_TIMEOUT_MS = 5_000;

/** Tasks waiting in the namespace's workflow and activity queues. */
export async function namespaceBacklog(connection: Connection, namespace: string): Promise<number> {
  const describe = (taskQueueType: number) =>
    connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
      connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: TASK_QUEUE }, taskQueueType, reportStats: true }),
    );
  const answers = await Promise.all([describe(TASK_QUEUE_TYPE_WORKFLOW), describe(TASK_QUEUE_TYPE_ACTIVITY)]);
  return answers.reduce((sum, { stats }) => sum + Number(stats?.approximateBacklogCount ?? 0), 0);
}

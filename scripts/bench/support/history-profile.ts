// Where a run's time goes, read from the histories of finished runs: workflow tasks (the workflow code itself),
// each activity type's queue wait and execution, and the events the run wrote.
import type { Client } from '@temporalio/client';
import { timestampMs } from '../../../src/client/run-history';

export interface RunProfile {
  runs: number;
  events: number;
  workflowTasks: number;
  /** Wall time from the run's first event to its last. */
  totalMs: number;
  /** Started → completed of workflow tasks: the time the worker spent in workflow code and its sandbox. */
  workflowTaskMs: number;
  /** Scheduled → started of workflow tasks: waiting for the server to hand the task to a poller. */
  workflowTaskWaitMs: number;
  activities: Record<string, { count: number; waitMs: number; runMs: number }>;
}

/** Averages per run over the given executions. */
export async function profileRuns(client: Client, workflowIds: string[]): Promise<RunProfile> {
  const sum: RunProfile = { runs: workflowIds.length, events: 0, workflowTasks: 0, totalMs: 0, workflowTaskMs: 0, workflowTaskWaitMs: 0, activities: {} };
  for (const workflowId of workflowIds) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const at = new Map(events.map((e) => [Number(e.eventId), timestampMs(e.eventTime)]));
    sum.events += events.length;
    sum.totalMs += timestampMs(events.at(-1)?.eventTime) - timestampMs(events[0]?.eventTime);
    const scheduledType = new Map<number, string>();
    for (const event of events) {
      const time = timestampMs(event.eventTime);
      if (event.workflowTaskStartedEventAttributes) {
        sum.workflowTasks += 1;
        sum.workflowTaskWaitMs += time - at.get(Number(event.workflowTaskStartedEventAttributes.scheduledEventId))!;
      }
      if (event.workflowTaskCompletedEventAttributes) sum.workflowTaskMs += time - at.get(Number(event.workflowTaskCompletedEventAttributes.startedEventId))!;
      if (event.activityTaskScheduledEventAttributes) scheduledType.set(Number(event.eventId), event.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      if (event.activityTaskStartedEventAttributes) {
        const type = scheduledType.get(Number(event.activityTaskStartedEventAttributes.scheduledEventId)) ?? '?';
        const entry = (sum.activities[type] ??= { count: 0, waitMs: 0, runMs: 0 });
        entry.count += 1;
        entry.waitMs += time - at.get(Number(event.activityTaskStartedEventAttributes.scheduledEventId))!;
      }
      if (event.activityTaskCompletedEventAttributes) {
        const type = scheduledType.get(Number(event.activityTaskCompletedEventAttributes.scheduledEventId)) ?? '?';
        sum.activities[type]!.runMs += time - at.get(Number(event.activityTaskCompletedEventAttributes.startedEventId))!;
      }
    }
  }
  const per = (value: number) => value / Math.max(1, sum.runs);
  return {
    runs: sum.runs,
    events: per(sum.events),
    workflowTasks: per(sum.workflowTasks),
    totalMs: per(sum.totalMs),
    workflowTaskMs: per(sum.workflowTaskMs),
    workflowTaskWaitMs: per(sum.workflowTaskWaitMs),
    activities: Object.fromEntries(
      Object.entries(sum.activities).map(([type, a]) => [type, { count: per(a.count), waitMs: per(a.waitMs), runMs: per(a.runMs) }]),
    ),
  };
}

export function formatProfile(label: string, profile: RunProfile): string {
  const f = (n: number) => n.toFixed(1);
  const lines = [
    `${label} (mean of ${profile.runs} runs): ${f(profile.totalMs)} ms first→last event, ${f(profile.events)} events, ` +
      `${f(profile.workflowTasks)} workflow tasks (${f(profile.workflowTaskMs)} ms in workflow code, ${f(profile.workflowTaskWaitMs)} ms waiting for a poller)`,
    ...Object.entries(profile.activities).map(
      ([type, a]) => `  ${type}: ${f(a.count)} per run, ${f(a.waitMs)} ms queued, ${f(a.runMs)} ms executing`,
    ),
  ];
  return lines.join('\n');
}

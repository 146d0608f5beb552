// Each tenant's retention schedule: a Temporal Schedule in the tenant's namespace that starts the retention workflow
// at a fixed interval, so data past its retention is purged whether or not anything else happens for the tenant.
// Created with the tenant and ensured by every worker that serves it, so tenants from before it get one too.
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Connection } from '@temporalio/client';
import { TASK_QUEUE } from '../temporal/connection';

export const RETENTION_SCHEDULE_ID = 'steward-retention';
export const RETENTION_WORKFLOW_TYPE = 'retentionWorkflow';

type Ensured = 'created' | 'updated' | 'exists';

function scheduleOptions(intervalMs: number) {
  return {
    spec: { intervals: [{ every: intervalMs }] },
    action: { type: 'startWorkflow' as const, workflowType: RETENTION_WORKFLOW_TYPE, taskQueue: TASK_QUEUE, workflowId: RETENTION_SCHEDULE_ID, args: [] },
    // A purge that outlasts its interval is not doubled; one missed while the server was down runs once on return.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: intervalMs },
  };
}

/** Creates the tenant's retention schedule, or brings an existing one to `intervalMs`; idempotent. */
export async function ensureRetentionSchedule(connection: Connection, namespace: string, intervalMs: number): Promise<Ensured> {
  const client = new Client({ connection, namespace });
  const options = scheduleOptions(intervalMs);
  try {
    await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, ...options });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(RETENTION_SCHEDULE_ID);
  const described = await handle.describe();
  const every = described.spec.intervals?.map((interval) => interval.every) ?? [];
  const current = described.action.type === 'startWorkflow' && described.action.workflowType === RETENTION_WORKFLOW_TYPE;
  if (current && every.length === 1 && every[0] === roundToSecond(intervalMs)) return 'exists';
  await handle.update((previous) => ({ ...previous, ...options, state: previous.state }));
  return 'updated';
}

/** Removes the schedule (a tenant's namespace going away takes it anyway); false when there was none. */
export async function deleteRetentionSchedule(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await new Client({ connection, namespace }).schedule.getHandle(RETENTION_SCHEDULE_ID).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/** Temporal keeps intervals to the second. */
function roundToSecond(ms: number): number {
  return Math.round(ms / 1000) * 1000;
}

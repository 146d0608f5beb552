// `runs list`: a tenant's runs from Temporal's visibility in its own namespace (the namespace is the tenant's wall),
// filtered by status, definition and start time through the search attributes the run sets, and joined with the
// tenant's `runs` rows for the pinned version and the verified starter.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { AGENT_WORKFLOW_TYPE, RUN_STATUSES, type RunStatus } from '../contract/messages';
import { StewardError } from '../errors';
import { findRunRecords } from '../runs/run-records';
import { STEWARD_STATUS, STEWARD_WORKFLOW } from '../temporal/search-attribute-keys';
import type { RunContext } from './run-context';

/** A run's status: the run's own while it runs, else how Temporal closed it. */
export const RUN_VIEW_STATUSES = [...RUN_STATUSES, 'terminated', 'timed_out'] as const;
export type RunViewStatus = (typeof RUN_VIEW_STATUSES)[number];

export interface RunFilter {
  status?: RunViewStatus;
  /** The definition id. */
  definition?: string;
  /** The verified starter (the subject of the user token the run was started with). */
  user?: string;
  /** Runs started at or after this time, and at or before `until`. */
  since?: Date;
  until?: Date;
  /** At most this many, newest first (default 50). */
  limit?: number;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  status: RunViewStatus;
  definition: string | null;
  version: number | null;
  user: string | null;
  startedAt: Date;
  closedAt: Date | null;
}

const DEFAULT_LIMIT = 50;
/** How many runs a user filter looks through at most: the starter is in Postgres, not in visibility. */
const MAX_SCANNED_FOR_USER = 5_000;

const CLOSED_STATUS: Readonly<Record<string, RunViewStatus>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

const VISIBILITY_STATUS: Readonly<Partial<Record<RunViewStatus, string>>> = {
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
};

/** A literal of the visibility query; values are ids and times, so a quote or backslash is refused rather than escaped. */
function quoted(value: string): string {
  if (/['\\]/.test(value)) throw new StewardError('INPUT_INVALID', `runs filter: ${JSON.stringify(value)} holds a quote or backslash`);
  return `'${value}'`;
}

/** The visibility query for a filter: Steward runs only, and never the intermediate runs of a continue-as-new chain. */
export function visibilityQuery(filter: RunFilter): string {
  const clauses = [`WorkflowType = ${quoted(AGENT_WORKFLOW_TYPE)}`, `ExecutionStatus != 'ContinuedAsNew'`];
  if (filter.status !== undefined) {
    const closed = VISIBILITY_STATUS[filter.status];
    clauses.push(closed ? `ExecutionStatus = '${closed}'` : `ExecutionStatus = 'Running' AND ${STEWARD_STATUS.name} = ${quoted(filter.status)}`);
  }
  if (filter.definition !== undefined) clauses.push(`${STEWARD_WORKFLOW.name} = ${quoted(filter.definition)}`);
  if (filter.since !== undefined) clauses.push(`StartTime >= ${quoted(filter.since.toISOString())}`);
  if (filter.until !== undefined) clauses.push(`StartTime <= ${quoted(filter.until.toISOString())}`);
  return clauses.join(' AND ');
}

export function runViewStatus(info: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>): RunViewStatus {
  if (info.status.name !== 'RUNNING') return CLOSED_STATUS[info.status.name] ?? 'failed';
  const own = info.typedSearchAttributes.get(STEWARD_STATUS);
  return (RUN_STATUSES as readonly string[]).includes(own ?? '') ? (own as RunStatus) : 'running';
}

export async function listRuns(context: RunContext, filter: RunFilter = {}): Promise<RunSummary[]> {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  const found: RunSummary[] = [];
  let page: WorkflowExecutionInfo[] = [];
  let scanned = 0;
  const flush = async () => {
    const records = await findRunRecords(context.pool, context.tenant, page.map((info) => info.workflowId));
    for (const info of page) {
      const record = records.get(info.workflowId);
      if (filter.user !== undefined && record?.startedBy !== filter.user) continue;
      if (found.length < limit) found.push(summaryOf(info, record));
    }
    page = [];
  };
  for await (const info of context.temporal.workflow.list({ query: visibilityQuery(filter), pageSize: Math.min(limit, 100) })) {
    page.push(info);
    scanned += 1;
    if (page.length >= 100) await flush();
    if (found.length >= limit || (filter.user === undefined ? scanned >= limit : scanned >= MAX_SCANNED_FOR_USER)) break;
  }
  await flush();
  return found;
}

function summaryOf(info: WorkflowExecutionInfo, record: { definition: string; version: number; startedBy?: string } | undefined): RunSummary {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status: runViewStatus(info),
    definition: record?.definition ?? info.typedSearchAttributes.get(STEWARD_WORKFLOW) ?? null,
    version: record?.version ?? null,
    user: record?.startedBy ?? null,
    startedAt: info.startTime,
    closedAt: info.closeTime ?? null,
  };
}

// `runs show`: one run as an operator needs it — status, definition and version, who started it, where it is and
// how it got there, what it waits for, its input and output (decoded, PII masked unless the caller may read it) and,
// when it failed, why.
import { listPendingApprovals, type PendingApproval } from '../approvals/approval-records';
import type { PiiView } from '../codec/pii-codec';
import { stateQuery, type PendingWait } from '../contract/messages';
import { findRunRecords } from '../runs/run-records';
import { STEWARD_WORKFLOW } from '../temporal/search-attribute-keys';
import { findRun, type RunContext } from './run-context';
import { describeRunFailure, type RunFailureReport } from './run-failure';
import { decodeFailure, decodeFirst, readHistory } from './run-history';
import { runViewStatus, type RunSummary } from './run-list';
import { requestWake } from '../worker/wake-requests';

export interface RunDetails extends RunSummary {
  namespace: string;
  /** The nodes running now, the last nodes visited (oldest first), and how many steps were taken; null when the run
   *  could not be asked (no worker is serving the tenant). */
  current: string[] | null;
  path: string[] | null;
  steps: number | null;
  pending: PendingWait[];
  /** Approvals this run waits for, as the inbox shows them. */
  approvals: PendingApproval[];
  input: unknown;
  /** The output of its `end` node, once completed. */
  output: unknown;
  error: RunFailureReport | null;
  /** Whether input, output and the error message show PII (the caller holds `pii:read`) or masks. */
  pii: 'revealed' | 'masked';
}

/** How long the run's state query may take: a closed run is replayed by a worker to answer it. */
const PROGRESS_TIMEOUT_MS = 15_000;

export async function showRun(context: RunContext, workflowId: string, view: Extract<PiiView, 'restore' | 'mask'>): Promise<RunDetails> {
  const { handle, description } = await findRun(context, workflowId);
  const converter = context.converterFor(view);
  const [events, records, approvals, progress] = await Promise.all([
    readHistory(handle),
    findRunRecords(context.pool, context.tenant, [workflowId]),
    listPendingApprovals(context.pool, context.tenant, { workflowId }),
    askProgress(async () => {
      // A query does not wake an idle tenant's Worker as other requests do: ask for it first.
      await requestWake(context.pool, context.tenant).catch(() => undefined);
      return handle.query(stateQuery);
    }),
  ]);
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const args = (await decodeFirst(converter, started?.input)) as { input?: unknown; resume?: { state?: { input?: unknown } } } | undefined;
  const closing = events[events.length - 1];
  const completed = closing?.workflowExecutionCompletedEventAttributes;
  const failure = closing?.workflowExecutionFailedEventAttributes?.failure;
  const error = failure ? await decodeFailure(converter, failure) : undefined;
  const record = records.get(workflowId);
  return {
    workflowId,
    runId: description.runId,
    namespace: context.namespace,
    status: runViewStatus(description),
    definition: record?.definition ?? description.typedSearchAttributes.get(STEWARD_WORKFLOW) ?? null,
    version: record?.version ?? null,
    user: record?.startedBy ?? null,
    startedAt: description.startTime,
    closedAt: description.closeTime ?? null,
    current: progress?.current ?? null,
    path: progress?.path ?? null,
    steps: progress?.steps ?? null,
    pending: progress?.pending ?? [],
    approvals: approvals.filter((approval) => approval.runId === description.runId),
    // A run that continued as new carries its input in the state it resumed with.
    input: args?.input ?? args?.resume?.state?.input ?? null,
    output: completed ? ((await decodeFirst(converter, completed.result)) ?? null) : null,
    error: error ? describeRunFailure(error, { revealPii: view === 'restore' }) : closedFromOutside(closing),
    pii: view === 'restore' ? 'revealed' : 'masked',
  };
}

async function askProgress<T>(ask: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PROGRESS_TIMEOUT_MS)));
  try {
    return await Promise.race([ask().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A run ended by an operator or a timeout has no failure of its own: say which. */
function closedFromOutside(closing: Awaited<ReturnType<typeof readHistory>>[number] | undefined): RunFailureReport | null {
  if (closing?.workflowExecutionCanceledEventAttributes) return { type: 'CANCELLED', node: null, message: 'the run was cancelled' };
  if (closing?.workflowExecutionTerminatedEventAttributes) return { type: 'TERMINATED', node: null, message: 'the run was terminated' };
  if (closing?.workflowExecutionTimedOutEventAttributes) return { type: 'TIMED_OUT', node: null, message: "the run passed Temporal's execution timeout" };
  return null;
}

// `runs trace`: what a run did, in time order. Steps (their activities and child runs: start, duration, attempts,
// outcome) come from Temporal's history; model calls (tokens, cost) from the LLM ledger; tool calls (status code),
// approvals (who, when, comment), delegation exchanges and refusals, and security refusals from the audit trail.
// Nothing here carries a payload beyond a step's failure message: inputs and outputs are for `runs show`.
import type { LoadedDataConverter } from '@temporalio/common';
import { listAuditEvents, type StoredAuditEvent } from '../audit/audit-log';
import type { PiiView } from '../codec/pii-codec';
import { listRunLedger } from '../llm/ledger';
import { microUsdToUsd } from '../llm/prices';
import { findRun, type RunContext } from './run-context';
import { describeRunFailure, type RunFailureReport } from './run-failure';
import { decodeFailure, decodeFirst, eventId, eventTime, readHistory, type HistoryEvent } from './run-history';

export type TraceEntry =
  | { kind: 'run'; at: Date; event: 'started' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'continued_as_new' }
  | {
      kind: 'step';
      at: Date;
      node: string | null;
      /** The activity type, or `subworkflow` for a child run. */
      activity: string;
      durationMs: number | null;
      attempts: number;
      outcome: 'running' | 'completed' | 'failed' | 'timed_out' | 'cancelled';
      error?: RunFailureReport;
    }
  | { kind: 'llm'; at: Date; node: string; provider: string; model: string; status: string; promptTokens: number; completionTokens: number; costUsd: number }
  | { kind: 'tool'; at: Date; node: string | null; status: number | null; outcome: string; method?: string; host?: string; durationMs?: number; attempt?: number }
  | { kind: 'approval'; at: Date; node: string | null; by: string | null; outcome: 'accepted' | 'refused'; decision?: string; reason?: string; comment?: string }
  | { kind: 'delegation'; at: Date; node: string | null; event: string; outcome: string; user: string | null; errorCode?: string; scopes?: unknown }
  | { kind: 'signal'; at: Date; name: string }
  | { kind: 'security'; at: Date; node: string | null; event: string; detail: Record<string, unknown> };

export interface RunTrace {
  workflowId: string;
  runId: string;
  entries: TraceEntry[];
  /** Sums of the ledger's model calls. */
  llm: { calls: number; promptTokens: number; completionTokens: number; costUsd: number };
}

/** Activities that are the run's own bookkeeping, not a step's work. */
const BOOKKEEPING = new Set(['prepareRun', 'recordLlmEvent', 'recordApproval', 'recordRefusedSignal']);
/** A child run's workflow id is `<parent>/<node>/<visit>`. */
const CHILD_NODE = /\/([A-Za-z_][A-Za-z0-9_]*)\/\d+$/;

export async function traceRun(context: RunContext, workflowId: string, view: Extract<PiiView, 'restore' | 'mask'>): Promise<RunTrace> {
  const { handle, description } = await findRun(context, workflowId);
  const converter = context.converterFor(view);
  const [events, audit, ledger] = await Promise.all([
    readHistory(handle),
    listAuditEvents(context.pool, context.tenant, { workflowId, limit: 10_000 }),
    listRunLedger(context.pool, context.tenant, workflowId),
  ]);
  const entries: TraceEntry[] = [
    ...(await historyEntries(events, converter, view)),
    ...ledger.map((call): TraceEntry => ({
      kind: 'llm',
      at: call.createdAt,
      node: call.node,
      provider: call.provider,
      model: call.model,
      status: call.status,
      promptTokens: call.promptTokens,
      completionTokens: call.completionTokens,
      costUsd: microUsdToUsd(call.costMicroUsd),
    })),
    ...audit.flatMap(auditEntry),
  ];
  entries.sort((a, b) => a.at.getTime() - b.at.getTime());
  const sum = (pick: (call: (typeof ledger)[number]) => number) => ledger.reduce((total, call) => total + pick(call), 0);
  return {
    workflowId,
    runId: description.runId,
    entries,
    llm: { calls: ledger.length, promptTokens: sum((c) => c.promptTokens), completionTokens: sum((c) => c.completionTokens), costUsd: microUsdToUsd(sum((c) => c.costMicroUsd)) },
  };
}

interface OpenStep {
  entry: Extract<TraceEntry, { kind: 'step' }>;
}

async function historyEntries(events: HistoryEvent[], converter: LoadedDataConverter, view: Extract<PiiView, 'restore' | 'mask'>): Promise<TraceEntry[]> {
  const entries: TraceEntry[] = [];
  // Steps by the event id that scheduled (or initiated) them, which their later events point back to.
  const steps = new Map<number, OpenStep>();
  const close = async (scheduledId: unknown, at: Date, outcome: OpenStep['entry']['outcome'], failure?: Parameters<typeof decodeFailure>[1]) => {
    const step = steps.get(Number(scheduledId ?? 0));
    if (!step) return;
    step.entry.outcome = outcome;
    step.entry.durationMs = at.getTime() - step.entry.at.getTime();
    if (failure) {
      const error = await decodeFailure(converter, failure);
      if (error) step.entry.error = describeRunFailure(error, { revealPii: view === 'restore' });
    }
  };
  for (const event of events) {
    const at = eventTime(event);
    if (event.workflowExecutionStartedEventAttributes) entries.push({ kind: 'run', at, event: 'started' });
    else if (event.workflowExecutionCompletedEventAttributes) entries.push({ kind: 'run', at, event: 'completed' });
    else if (event.workflowExecutionFailedEventAttributes) entries.push({ kind: 'run', at, event: 'failed' });
    else if (event.workflowExecutionCanceledEventAttributes) entries.push({ kind: 'run', at, event: 'cancelled' });
    else if (event.workflowExecutionTerminatedEventAttributes) entries.push({ kind: 'run', at, event: 'terminated' });
    else if (event.workflowExecutionTimedOutEventAttributes) entries.push({ kind: 'run', at, event: 'timed_out' });
    else if (event.workflowExecutionContinuedAsNewEventAttributes) entries.push({ kind: 'run', at, event: 'continued_as_new' });
    else if (event.workflowExecutionSignaledEventAttributes) entries.push({ kind: 'signal', at, name: event.workflowExecutionSignaledEventAttributes.signalName ?? '' });
    else if (event.activityTaskScheduledEventAttributes) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      const activity = scheduled.activityType?.name ?? 'activity';
      if (BOOKKEEPING.has(activity)) continue;
      const entry: OpenStep['entry'] = { kind: 'step', at, node: await nodeOfActivity(converter, scheduled.input), activity, durationMs: null, attempts: 0, outcome: 'running' };
      steps.set(eventId(event), { entry });
      entries.push(entry);
    } else if (event.activityTaskStartedEventAttributes) {
      const step = steps.get(Number(event.activityTaskStartedEventAttributes.scheduledEventId ?? 0));
      if (step) step.entry.attempts = event.activityTaskStartedEventAttributes.attempt ?? step.entry.attempts + 1;
    } else if (event.activityTaskCompletedEventAttributes) await close(event.activityTaskCompletedEventAttributes.scheduledEventId, at, 'completed');
    else if (event.activityTaskFailedEventAttributes) await close(event.activityTaskFailedEventAttributes.scheduledEventId, at, 'failed', event.activityTaskFailedEventAttributes.failure);
    else if (event.activityTaskTimedOutEventAttributes) await close(event.activityTaskTimedOutEventAttributes.scheduledEventId, at, 'timed_out');
    else if (event.activityTaskCanceledEventAttributes) await close(event.activityTaskCanceledEventAttributes.scheduledEventId, at, 'cancelled');
    else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      const child = event.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? '';
      const entry: OpenStep['entry'] = { kind: 'step', at, node: CHILD_NODE.exec(child)?.[1] ?? null, activity: 'subworkflow', durationMs: null, attempts: 1, outcome: 'running' };
      steps.set(eventId(event), { entry });
      entries.push(entry);
    } else if (event.childWorkflowExecutionCompletedEventAttributes) await close(event.childWorkflowExecutionCompletedEventAttributes.initiatedEventId, at, 'completed');
    else if (event.childWorkflowExecutionFailedEventAttributes) await close(event.childWorkflowExecutionFailedEventAttributes.initiatedEventId, at, 'failed', event.childWorkflowExecutionFailedEventAttributes.failure);
    else if (event.childWorkflowExecutionCanceledEventAttributes) await close(event.childWorkflowExecutionCanceledEventAttributes.initiatedEventId, at, 'cancelled');
    else if (event.childWorkflowExecutionTimedOutEventAttributes) await close(event.childWorkflowExecutionTimedOutEventAttributes.initiatedEventId, at, 'timed_out');
  }
  return entries;
}

/** Every step activity takes `{nodeId, …}`: the node is read from its decoded input. */
async function nodeOfActivity(converter: LoadedDataConverter, input: Parameters<typeof decodeFirst>[1]): Promise<string | null> {
  const args = (await decodeFirst(converter, input).catch(() => undefined)) as { nodeId?: unknown } | undefined;
  return typeof args?.nodeId === 'string' ? args.nodeId : null;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function auditEntry(event: StoredAuditEvent): TraceEntry[] {
  const at = event.createdAt;
  const node = event.step ?? null;
  const payload = event.payload ?? {};
  if (event.type === 'tool.call') {
    return [
      {
        kind: 'tool',
        at,
        node,
        status: typeof payload.status === 'number' ? payload.status : null,
        outcome: text(payload.outcome) ?? 'unknown',
        ...(text(payload.method) ? { method: text(payload.method)! } : {}),
        ...(text(payload.host) ? { host: text(payload.host)! } : {}),
        ...(typeof payload.duration_ms === 'number' ? { durationMs: payload.duration_ms } : {}),
        ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
      },
    ];
  }
  if (event.type === 'approval.accepted' || event.type === 'approval.refused') {
    return [
      {
        kind: 'approval',
        at,
        node,
        by: event.userId ?? null,
        outcome: event.type === 'approval.accepted' ? 'accepted' : 'refused',
        ...(text(payload.decision) ? { decision: text(payload.decision)! } : {}),
        ...(text(payload.reason) ? { reason: text(payload.reason)! } : {}),
        ...(text(payload.comment) ? { comment: text(payload.comment)! } : {}),
      },
    ];
  }
  if (event.type.startsWith('oauth.')) {
    return [
      {
        kind: 'delegation',
        at,
        node,
        event: event.type,
        outcome: text(payload.outcome) ?? 'unknown',
        user: event.userId ?? null,
        ...(text(payload.error_code) ? { errorCode: text(payload.error_code)! } : {}),
        ...(payload.scopes_granted !== undefined ? { scopes: payload.scopes_granted } : {}),
      },
    ];
  }
  if (event.type.startsWith('security.')) return [{ kind: 'security', at, node, event: event.type, detail: payload }];
  return [];
}

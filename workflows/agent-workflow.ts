// The workflow every Steward run executes: load and check the registered definition, then interpret it.
// It can be started by `steward run`, the typed client or the raw Temporal CLI with {workflow, version, input}.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreparedRun } from '../activities/prepare-run';
import { stateQuery, type RunStatus } from '../src/contract/messages';
import type { UserTokenHandle } from '../src/identity/user-token-handle';
import { parseDuration } from '../src/ir/duration';
import type { EnclosingRun } from '../src/llm/budget';
import { STEWARD_STATUS, STEWARD_WORKFLOW } from '../src/temporal/search-attribute-keys';
import { Inbox, type InboxContents } from './inbox';
import { DEFAULT_CONTINUE_AFTER_EVENTS, Interpreter } from './interpreter';
import { bookkeepingOutlastingOutages } from './dependency-wait';
import { RefusedSignalAudits } from './refused-signal-audits';
import type { RunState } from './run-state';
import { describeRunSpan, runEvents } from './run-telemetry';

export interface AgentRunArgs {
  /** The registered workflow id (the definition's `id`). */
  workflow: string;
  /** The version to run; the newest registered one when omitted. */
  version?: number;
  input?: unknown;
  /** The run's user: who they are and the handle of their sealed token (set by the client, never the token). */
  user?: UserTokenHandle;
  /** Set by a parent run for its sub-workflow: the runs enclosing this one, root first, whose caps it counts against. */
  enclosing?: EnclosingRun[];
  /** Operator setting: continue-as-new once history holds this many events. */
  continueAfterEvents?: number;
  /** Set by the run itself when it continues as new; callers never pass it. */
  resume?: { prepared: PreparedRun; state: RunState; next: string; inbox: InboxContents };
}

const CLOSING_STATUS_PATCH = 'closing-status';
const WORKFLOW_ID_PII_PATCH = 'workflow-id-pii-guard';

const PREPARE_OPTIONS = { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } } as const;
const { prepareRun } = proxyActivities<Activities>(PREPARE_OPTIONS);
const { prepareRun: prepareRunLocally } = proxyLocalActivities<Activities>(PREPARE_OPTIONS);

export async function agentWorkflow(args: AgentRunArgs): Promise<unknown> {
  const inbox = new Inbox(args.resume?.inbox);
  // The query is answerable from the first moment, before the interpreter exists.
  const view: { interpreter?: Interpreter } = {};
  const refusals = new RefusedSignalAudits(() => view.interpreter?.prepared.dependencyWaitMs);
  inbox.install((refused) => refusals.record(refused));
  let status: RunStatus = 'running';
  setHandler(stateQuery, () => ({
    status,
    current: view.interpreter ? [...view.interpreter.current] : [],
    steps: view.interpreter?.state.steps ?? 0,
    path: view.interpreter ? [...view.interpreter.state.path] : [],
    pending: view.interpreter ? [...view.interpreter.pending] : [],
  }));
  const setStatus = (next: RunStatus) => {
    status = next;
    upsertSearchAttributes([{ key: STEWARD_STATUS, value: next }]);
  };
  // Lean start: the definition is loaded by a local activity (no extra workflow task) and both search attributes are
  // set at once; the closing status is left to Temporal's own ExecutionStatus. Older runs replay the old way.
  const lean = patched('lean-start');

  const prepared = args.resume?.prepared ?? (await prepare(args, lean));
  describeRunSpan(prepared);
  if (!args.resume) runEvents.started(prepared.workflow);
  if (lean) {
    status = 'running';
    upsertSearchAttributes([
      { key: STEWARD_WORKFLOW, value: prepared.workflow },
      { key: STEWARD_STATUS, value: 'running' },
    ]);
  } else {
    upsertSearchAttributes([{ key: STEWARD_WORKFLOW, value: prepared.workflow }]);
    setStatus('running');
  }
  // Lean runs left the closing status to Temporal, but StewardStatus then said `running` on every closed run, so its
  // documented filters found nothing: newer runs set it before they close. Decided at the close, so older histories
  // (without the marker there) replay as they were recorded.
  const close = (final: 'completed' | 'failed' | 'cancelled') => {
    runEvents.ended(prepared.workflow, final === 'completed' ? 'completed' : 'failed');
    if (!lean) setStatus(final === 'cancelled' ? 'failed' : final);
    else if (patched(CLOSING_STATUS_PATCH)) setStatus(final);
    else status = final;
  };
  const state = args.resume?.state ?? initialState(prepared, args.input ?? {}, args.user);
  const interpreter = new Interpreter(prepared, state, inbox, {
    continueAfterEvents: args.continueAfterEvents ?? DEFAULT_CONTINUE_AFTER_EVENTS,
    setStatus,
    enclosing: enclosingRuns(args.enclosing),
    continueAsNew: (next) =>
      continueAsNew<typeof agentWorkflow>({ ...args, input: undefined, user: undefined, resume: { prepared, state, next, inbox: inbox.contents() } }),
  });
  view.interpreter = interpreter;
  try {
    const output = await withinMaxDuration(prepared, state, () => interpreter.run(args.resume?.next ?? prepared.definition.start));
    await refusals.flush();
    close('completed');
    return output;
  } catch (error) {
    if (!(error instanceof ContinueAsNew)) {
      await refusals.flush();
      const cancelled = isCancellation(error) && CancellationScope.current().consideredCancelled;
      close(cancelled ? 'cancelled' : 'failed');
      if (!cancelled) throw interpreter.failedNodes.attribute(error);
    }
    throw error;
  }
}

/** Loads the definition and checks the input; its refusal becomes the run's own failure, reason first. */
async function prepare(args: AgentRunArgs, local: boolean): Promise<PreparedRun> {
  // The claimed user and Temporal's root travel to the activity, which records the starter only if the sealed token proves it.
  const info = workflowInfo();
  // A run's id may come from a raw start that never met the client's guard; a child's is its parent's plus node ids.
  const checkWorkflowId = info.parent === undefined && patched(WORKFLOW_ID_PII_PATCH);
  const request = {
    workflow: args.workflow,
    version: args.version,
    input: args.input ?? {},
    user: args.user,
    rootWorkflowId: info.root?.workflowId,
    ...(checkWorkflowId ? { checkWorkflowId } : {}),
  };
  try {
    // Before the run is prepared its dependency wait is not known: an outage is waited out for the default.
    return await bookkeepingOutlastingOutages(undefined, (outages) => (local ? prepareRunLocally : prepareRun)({ ...request, ...outages }));
  } catch (error) {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({ type: error.cause.type ?? undefined, message: error.cause.message, nonRetryable: true });
    }
    throw error;
  }
}

function initialState(prepared: PreparedRun, input: unknown, user: UserTokenHandle | undefined): RunState {
  const info = workflowInfo();
  return {
    input,
    vars: {},
    nodes: {},
    run: {
      id: info.runId,
      tenant: prepared.tenant,
      workflow: prepared.workflow,
      version: prepared.version,
      started_at: info.startTime.toISOString(),
      ...(user ? { user: user.subject } : {}),
    },
    steps: 0,
    path: [],
    visits: {},
    ...(user ? { delegation: { subject: user.subject, handle: user.handle } } : {}),
  };
}

/**
 * The enclosing runs a parent passed, honoured only when they end at the parent and start at the root Temporal names
 * for this run: a starter cannot attach a run to a tree it is not part of.
 */
function enclosingRuns(given: EnclosingRun[] | undefined): EnclosingRun[] {
  const { parent, root } = workflowInfo();
  if (!given?.length || !parent) return [];
  const [first, last] = [given[0]!, given[given.length - 1]!];
  if (last.workflowId !== parent.workflowId || (root !== undefined && first.workflowId !== root.workflowId)) return [];
  return given;
}

/** `limits.max_duration` counts from the run's first start, across continue-as-new. */
async function withinMaxDuration<T>(prepared: PreparedRun, state: RunState, work: () => Promise<T>): Promise<T> {
  const limit = prepared.definition.limits?.max_duration;
  if (limit === undefined) return work();
  const remaining = Date.parse(state.run.started_at) + parseDuration(limit) - Date.now();
  try {
    return await CancellationScope.withTimeout(Math.max(1, remaining), work);
  } catch (error) {
    // A cancellation of the run itself (its root scope) is not the limit firing.
    if (!isCancellation(error) || CancellationScope.current().consideredCancelled) throw error;
    throw ApplicationFailure.create({ type: 'LIMIT_EXCEEDED', message: `limits.max_duration (${limit}) exceeded`, nonRetryable: true });
  }
}

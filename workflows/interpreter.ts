// Executes a definition's nodes, one step at a time, deterministically. Every effect on the outside world is an
// activity or a child workflow; this file only decides what runs next and records what each node produced.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreparedRun } from '../activities/prepare-run';
import type { UserTokenHandle } from '../src/identity/user-token-handle';
import type { EnclosingRun } from '../src/llm/budget';
import { parseDuration } from '../src/ir/duration';
import { evaluateExpression, renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { Node, ParallelNode, Retry, WaitNode } from '../src/ir/schema';
import { runA2aNode } from './a2a-node';
import { runApproval } from './approval-node';
import { evaluateField } from './expression-failure';
import { FailedNodes } from './failure-attribution';
import { runLlmNode } from './llm-node';
import { runToolStep } from './tool-step';
import type { Inbox } from './inbox';
import type { NodeContext } from './node-context';
import { AGENT_WORKFLOW_TYPE, type PendingWait, type RunStatus } from '../src/contract/messages';
import { PATH_KEPT, scopeOf, type RunState } from './run-state';
import { withinNodeSpan } from './run-telemetry';

const CHILD_USER_PATCH = 'subworkflow-acts-for-user';
const CHILD_BUDGET_PATCH = 'subworkflow-shares-budget';
/** An approval that timed out fails as WAIT_TIMEOUT saying so; runs from before failed as "rejected". */
const APPROVAL_TIMEOUT_PATCH = 'approval-timeout-says-timeout';
/** Each node runs in a span of its own; runs recorded before ran their nodes bare, and replay that way. */
const NODE_SPANS_PATCH = 'node-spans';

/** Continue-as-new once history holds this many events, well before Temporal's limits. */
export const DEFAULT_CONTINUE_AFTER_EVENTS = 2_000;
const DEFAULT_ACTIVITY_TIMEOUT = '60 seconds';
const DEFAULT_RETRY: Retry = { max_attempts: 5, initial_interval: '1s', backoff_coefficient: 2, max_interval: '30s' };

const ROUTABLE_NODE_FAILURES: ReadonlySet<string> = new Set(['WAIT_TIMEOUT', 'LIMIT_EXCEEDED', 'EXPRESSION_ERROR', 'REMOTE_TASK_FAILED']);

type StepOutcome = { kind: 'next'; next: string | undefined; output: unknown } | { kind: 'end'; output: unknown };
type ChainOutcome = { kind: 'end'; output: unknown } | { kind: 'stop'; output: unknown };

export interface InterpreterOptions {
  continueAfterEvents: number;
  /** Called before continue-as-new with the node to resume at. */
  continueAsNew: (next: string) => Promise<never>;
  setStatus: (status: RunStatus) => void;
  /** The runs that started this one, root first, with their caps (empty for a run started on its own). */
  enclosing: readonly EnclosingRun[];
}

export class Interpreter implements NodeContext {
  readonly current = new Set<string>();
  readonly pending: PendingWait[] = [];
  /** The node each failure left, for the run's own failure. */
  readonly failedNodes = new FailedNodes();

  constructor(
    readonly prepared: PreparedRun,
    readonly state: RunState,
    readonly inbox: Inbox,
    private readonly options: InterpreterOptions,
  ) {}

  /** The runs whose caps this run's model calls count against besides its own, root first. */
  get enclosing(): readonly EnclosingRun[] {
    return this.options.enclosing;
  }

  /** Runs from `start` to the end; the result is the output of the `end` node reached (null if none). */
  async run(start: string): Promise<unknown> {
    const outcome = await this.follow(start, true);
    return outcome.kind === 'end' ? outcome.output : null;
  }

  /** Follows `next` links from `id` until an `end` node, or a node without `next` (the end of a branch). */
  private async follow(id: string | undefined, topLevel: boolean): Promise<ChainOutcome> {
    let output: unknown = null;
    while (id !== undefined) {
      if (topLevel) await this.continueAsNewIfHistoryIsLong(id);
      const node = this.nodeAt(id);
      this.countStep(id);
      this.current.add(id);
      let step: StepOutcome;
      try {
        const at = id;
        step = patched(NODE_SPANS_PATCH) ? await withinNodeSpan(at, node.type, () => this.execute(at, node)) : await this.execute(at, node);
      } catch (error) {
        this.failedNodes.mark(error, id);
        step = this.routeError(id, node, error);
      } finally {
        this.current.delete(id);
      }
      if (step.kind === 'end') return step;
      output = step.output;
      id = step.next;
    }
    return { kind: 'stop', output };
  }

  private async execute(id: string, node: Node): Promise<StepOutcome> {
    const scope = scopeOf(this.state);
    const done = (output: unknown, next: string | undefined): StepOutcome => {
      this.state.nodes[id] = { output };
      return { kind: 'next', next, output };
    };
    switch (node.type) {
      case 'set': {
        const written: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(node.values)) {
          written[name] = evaluateField(id, `values.${name}`, () => valueOf(value, scopeOf(this.state)));
          this.state.vars[name] = written[name];
        }
        return done(written, node.next);
      }
      case 'condition': {
        const index = node.branches.findIndex((branch, at) => evaluateField(id, `branches[${at}].when`, () => evaluateExpression(branch.when, scope)) === true);
        const next = index >= 0 ? node.branches[index]!.next : node.default;
        return done({ branch: index >= 0 ? index : 'default' }, next);
      }
      case 'parallel':
        return done(await this.runParallel(node), node.next);
      case 'wait':
        return done(await this.runWait(id, node, scope), node.next);
      case 'approval': {
        const decision = await runApproval(this, id, node);
        if (decision.approved) return done(decision.output, node.next);
        this.state.nodes[id] = { output: decision.output };
        if (node.on_reject) return { kind: 'next', next: node.on_reject, output: decision.output };
        if (decision.output.reason === 'timeout' && patched(APPROVAL_TIMEOUT_PATCH)) {
          throw ApplicationFailure.create({ type: 'WAIT_TIMEOUT', message: `nodes.${id}: the approval timed out without a decision (on_timeout: reject)`, nonRetryable: true });
        }
        throw ApplicationFailure.create({ type: 'APPROVAL_REJECTED', message: `nodes.${id}: the approval was rejected`, nonRetryable: true });
      }
      case 'tool': {
        const result = await runToolStep(this, id, node, scope);
        return done(result.body, node.next);
      }
      case 'llm':
        return done(await runLlmNode(this, id, node, scope), node.next);
      case 'a2a':
        return done(await runA2aNode(this, id, node, scope), node.next);
      case 'subworkflow': {
        const output = await executeChild(AGENT_WORKFLOW_TYPE, {
          workflowId: `${workflowInfo().workflowId}/${id}/${this.state.visits[id] ?? 1}`,
          args: [{ workflow: node.workflow, version: node.version, input: node.input === undefined ? {} : evaluateField(id, 'input', () => renderTemplate(node.input, scope)), ...this.childUser(), ...this.childBudget() }],
          ...(node.timeout ? { workflowExecutionTimeout: parseDuration(node.timeout) } : {}),
        });
        return done(output, node.next);
      }
      case 'end':
        return { kind: 'end', output: node.output === undefined ? null : evaluateField(id, 'output', () => valueOf(node.output, scope)) };
      case 'fail': {
        const error = node.error === undefined ? `the run ended at fail node ${id}` : evaluateField(id, 'error', () => valueOf(node.error, scope));
        throw ApplicationFailure.create({
          type: 'RUN_FAILED',
          message: typeof error === 'string' ? error : JSON.stringify(error),
          nonRetryable: true,
        });
      }
    }
  }

  /** Branches run concurrently; `all` collects outputs in branch order, `any` takes the first to succeed and cancels the rest. */
  private async runParallel(node: ParallelNode): Promise<unknown> {
    if (node.join === 'all') {
      const outcomes = await Promise.all(node.branches.map((branch) => this.follow(branch.start, false)));
      return outcomes.map((outcome) => outcome.output);
    }
    const scope = new CancellationScope();
    const runs = node.branches.map((branch, index) => scope.run(() => this.follow(branch.start, false)).then((outcome) => ({ index, output: outcome.output })));
    // The losers end in cancellation; that is expected, not a failure.
    runs.forEach((run) => run.catch(() => undefined));
    const winner = await Promise.any(runs);
    scope.cancel();
    return { branch: winner.index, output: winner.output };
  }

  private async runWait(id: string, node: WaitNode, scope: ExpressionScope): Promise<unknown> {
    if (node.signal !== undefined) {
      const name = node.signal;
      const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
      const received = await this.waiting({ kind: 'signal', node: id, signal: name, ...untilOf(timeoutMs) }, () =>
        timeoutMs === undefined ? condition(() => this.inbox.hasSignal(name)).then(() => true) : condition(() => this.inbox.hasSignal(name), timeoutMs),
      );
      if (!received) {
        throw ApplicationFailure.create({ type: 'WAIT_TIMEOUT', message: `nodes.${id}: no ${name} signal within ${node.timeout}`, nonRetryable: true });
      }
      return this.inbox.takeSignal(name).payload ?? null;
    }
    const ms = node.duration !== undefined ? parseDuration(node.duration) : millisUntil(evaluateField(id, 'until', () => evaluateExpression(node.until!, scope)), id);
    await this.waiting({ kind: 'timer', node: id, ...untilOf(ms) }, () => sleep(ms));
    return null;
  }

  /** Marks the run as waiting while `work` runs, for the state query and the status search attribute. */
  async waiting<T>(wait: PendingWait, work: () => Promise<T>): Promise<T> {
    this.pending.push(wait);
    this.options.setStatus(wait.kind === 'approval' ? 'awaiting_approval' : 'waiting');
    try {
      return await work();
    } finally {
      this.pending.splice(this.pending.indexOf(wait), 1);
      if (this.pending.length === 0) this.options.setStatus('running');
    }
  }

  /**
   * A child run acts for the same user: it gets the handle of the user's token, which the worker honours because
   * Temporal names this run as the child's root. Runs from before this replay without it.
   */
  private childUser(): { user?: UserTokenHandle } {
    const user = this.state.delegation;
    return user && patched(CHILD_USER_PATCH) ? { user } : {};
  }

  /**
   * A child run's model calls count against this run's caps and those enclosing it: the child gets the chain, this
   * run last, and honours it only when Temporal names this run as its parent. Runs from before replay without it.
   */
  private childBudget(): { enclosing?: EnclosingRun[] } {
    if (!patched(CHILD_BUDGET_PATCH)) return {};
    const limits = this.prepared.definition.limits;
    const own = { workflowId: workflowInfo().workflowId, limits: { max_llm_calls: limits?.max_llm_calls, max_cost_usd: limits?.max_cost_usd } };
    return { enclosing: [...this.options.enclosing, own] };
  }

  /** A failed step goes to its `on_error` node when it has one; the error is kept as the node's `error`. */
  private routeError(id: string, node: Node, error: unknown): StepOutcome {
    // A node's own failures that its on_error may handle: a wait that timed out, an llm node out of iterations, an
    // expression that failed on the run's data (max_steps is counted before the node runs, so it never lands here).
    const routable =
      error instanceof ActivityFailure ||
      error instanceof ChildWorkflowFailure ||
      (error instanceof ApplicationFailure && ROUTABLE_NODE_FAILURES.has(error.type ?? ''));
    if (!node.on_error || !routable || isCancellation(error) || node.type === 'fail') throw error;
    const cause = (error as { cause?: unknown }).cause;
    const failure = cause instanceof ApplicationFailure ? cause : (error as ApplicationFailure);
    this.state.nodes[id] = { error: { type: failure.type ?? failure.name, message: failure.message } };
    return { kind: 'next', next: node.on_error, output: null };
  }

  /** `heartbeats`: true for the default heartbeat timeout, or the timeout itself. */
  activities(node: { timeout?: string; retry?: Retry }, heartbeats: boolean | string = false): Activities {
    const retry = node.retry ?? DEFAULT_RETRY;
    const options: ActivityOptions = {
      startToCloseTimeout: node.timeout ?? DEFAULT_ACTIVITY_TIMEOUT,
      ...(heartbeats ? { heartbeatTimeout: typeof heartbeats === 'string' ? heartbeats : '30 seconds' } : {}),
      retry: {
        maximumAttempts: retry.max_attempts ?? DEFAULT_RETRY.max_attempts,
        initialInterval: retry.initial_interval ?? DEFAULT_RETRY.initial_interval,
        backoffCoefficient: retry.backoff_coefficient ?? DEFAULT_RETRY.backoff_coefficient,
        maximumInterval: retry.max_interval ?? DEFAULT_RETRY.max_interval,
        nonRetryableErrorTypes: retry.non_retryable_errors,
      },
    };
    return proxyActivities<Activities>(options);
  }

  private nodeAt(id: string): Node {
    const node = this.prepared.definition.nodes[id];
    if (!node) throw ApplicationFailure.create({ type: 'DEFINITION_INVALID', message: `nodes.${id} does not exist`, nonRetryable: true });
    return node;
  }

  private countStep(id: string): void {
    const state = this.state;
    state.steps += 1;
    state.visits[id] = (state.visits[id] ?? 0) + 1;
    state.path.push(id);
    if (state.path.length > PATH_KEPT) state.path.splice(0, state.path.length - PATH_KEPT);
    const max = this.prepared.definition.limits?.max_steps;
    if (max !== undefined && state.steps > max) {
      throw ApplicationFailure.create({ type: 'LIMIT_EXCEEDED', message: `limits.max_steps (${max}) exceeded at nodes.${id}`, nonRetryable: true });
    }
  }

  private async continueAsNewIfHistoryIsLong(next: string): Promise<void> {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= this.options.continueAfterEvents) await this.options.continueAsNew(next);
  }
}

/** A string is an expression; any other JSON value is data whose string leaves may hold templates. */
function valueOf(value: unknown, scope: ExpressionScope): unknown {
  return typeof value === 'string' ? evaluateExpression(value, scope) : renderTemplate(value, scope);
}

function untilOf(ms: number | undefined): { until?: string } {
  return ms === undefined ? {} : { until: new Date(Date.now() + ms).toISOString() };
}

function millisUntil(value: unknown, id: string): number {
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) {
    throw ApplicationFailure.create({ type: 'INPUT_INVALID', message: `nodes.${id}.until: the expression must give a timestamp`, nonRetryable: true });
  }
  // Date.now() inside a workflow is the deterministic workflow clock.
  return Math.max(0, at - Date.now());
}

// The interpreter: runs one registered definition, node by node, deterministically. Everything that touches
// the outside world happens in activities; this file only decides what happens next.
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreparedRun } from '../activities/prepare-run';
import { parseDuration } from '../src/ir/duration';
import { evaluateExpression, renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { Definition, Node } from '../src/ir/schema';

export interface AgentRunArgs {
  /** The registered workflow id (the definition's `id`). */
  workflow: string;
  /** The version to run; the newest registered one when omitted. */
  version?: number;
  input?: unknown;
}

const { prepareRun } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/** A run's state, as expressions see it: `input`, `vars`, `nodes.<id>.output` and `run`. */
interface RunState {
  input: unknown;
  vars: Record<string, unknown>;
  nodes: Record<string, { output: unknown }>;
  run: { id: string; tenant: string; workflow: string; version: number; started_at: string };
  steps: number;
}

type Outcome = { next: string | undefined } | { end: unknown };

export async function agentWorkflow(args: AgentRunArgs): Promise<unknown> {
  const prepared = await prepare(args);
  const info = workflowInfo();
  const state: RunState = {
    input: args.input ?? {},
    vars: {},
    nodes: {},
    run: {
      id: info.runId,
      tenant: prepared.tenant,
      workflow: prepared.workflow,
      version: prepared.version,
      started_at: info.startTime.toISOString(),
    },
    steps: 0,
  };
  return interpret(prepared, state);
}

/** Loads the definition and checks the input; its refusal becomes the run's own failure, reason first. */
async function prepare(args: AgentRunArgs): Promise<PreparedRun> {
  try {
    return await prepareRun({ workflow: args.workflow, version: args.version, input: args.input ?? {} });
  } catch (error) {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({ type: error.cause.type ?? undefined, message: error.cause.message, nonRetryable: true });
    }
    throw error;
  }
}

async function interpret(prepared: PreparedRun, state: RunState): Promise<unknown> {
  const definition = prepared.definition;
  let nodeId: string | undefined = definition.start;
  while (nodeId !== undefined) {
    const node = nodeAt(definition, nodeId);
    countStep(definition, state, nodeId);
    const outcome = await executeNode(nodeId, node, state);
    if ('end' in outcome) return outcome.end;
    nodeId = outcome.next;
  }
  return null;
}

async function executeNode(id: string, node: Node, state: RunState): Promise<Outcome> {
  const scope = scopeOf(state);
  switch (node.type) {
    case 'set': {
      for (const [name, value] of Object.entries(node.values)) {
        state.vars[name] = typeof value === 'string' ? evaluateExpression(value, scopeOf(state)) : renderTemplate(value, scopeOf(state));
      }
      state.nodes[id] = { output: { ...state.vars } };
      return { next: node.next };
    }
    case 'condition': {
      const branch = node.branches.find((candidate) => evaluateExpression(candidate.when, scope) === true);
      const next = branch?.next ?? node.default;
      state.nodes[id] = { output: { branch: branch ? node.branches.indexOf(branch) : 'default' } };
      return { next };
    }
    case 'wait': {
      if (node.duration === undefined) throw unsupported(id, 'wait on `until` or `signal`');
      await sleep(parseDuration(node.duration));
      state.nodes[id] = { output: null };
      return { next: node.next };
    }
    case 'end':
      return { end: node.output === undefined ? null : valueOf(node.output, scope) };
    case 'fail': {
      const error = node.error === undefined ? `the run ended at fail node ${id}` : valueOf(node.error, scope);
      throw ApplicationFailure.create({ type: 'RunFailed', message: typeof error === 'string' ? error : JSON.stringify(error), nonRetryable: true });
    }
    default:
      throw unsupported(id, `${node.type} nodes`);
  }
}

/** A string is an expression; any other JSON value is data whose string leaves may hold templates. */
function valueOf(value: unknown, scope: ExpressionScope): unknown {
  return typeof value === 'string' ? evaluateExpression(value, scope) : renderTemplate(value, scope);
}

function scopeOf(state: RunState): ExpressionScope {
  return { input: state.input, vars: state.vars, nodes: state.nodes, run: state.run };
}

function nodeAt(definition: Definition, id: string): Node {
  const node = definition.nodes[id];
  if (!node) throw ApplicationFailure.create({ type: 'DEFINITION_INVALID', message: `nodes.${id} does not exist`, nonRetryable: true });
  return node;
}

function countStep(definition: Definition, state: RunState, id: string): void {
  state.steps += 1;
  const max = definition.limits?.max_steps;
  if (max !== undefined && state.steps > max) {
    throw ApplicationFailure.create({
      type: 'LIMIT_EXCEEDED',
      message: `limits.max_steps (${max}) exceeded at nodes.${id}`,
      nonRetryable: true,
    });
  }
}

function unsupported(id: string, what: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'UNSUPPORTED_NODE', message: `nodes.${id}: ${what} are not supported by this interpreter`, nonRetryable: true });
}

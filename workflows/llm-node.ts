// The `llm` node: one model call, or a bounded tool-use loop driven here one activity at a time. Each model turn is a
// `callLlm` activity (caps, guard, ledger and audit live there); each tool call the model asks for runs as its own
// tool step, with the same scopes, secrets and audit as a tool node. A model can never run an irreversible tool:
// that needs a human approval, so the call is refused, audited, and the model told why.
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LlmCallRequest, LlmCallResult } from '../activities/llm';
import { llmToolName } from '../src/ir/check-llm-tools';
import type { ExpressionScope } from '../src/ir/expressions';
import type { Definition, LlmNode, ToolNode } from '../src/ir/schema';
import {
  DEFAULT_MAX_ITERATIONS,
  TRUNCATION_MARK,
  recordModelResponse,
  startToolLoop,
  type LlmProvider,
  type ModelResponse,
  type ToolCall,
  type ToolDefinition,
  type ToolLoopState,
  type ToolResult,
} from '../src/llm/pure';
import { bookkeepingOutlastingOutages, outlastingOutages } from './dependency-wait';
import type { NodeContext } from './node-context';
import { scopeOf } from './run-state';
import { runToolStep } from './tool-step';

/** Runs recorded before the tool loop made a single call and ignored `tools`; they replay that way. */
export const TOOL_LOOP_PATCH = 'llm-tool-loop';

/** Tool output beyond this many characters is cut before the model (and history) sees it. */
const MAX_TOOL_RESULT_CHARS = 32_000;

const { recordLlmEvent } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

interface OfferedTool {
  /** The tool node's id, or the registered tool's name: where its arguments are put in the scope. */
  stepId: string;
  node: ToolNode;
  definition: ToolDefinition;
}

export async function runLlmNode(interpreter: NodeContext, id: string, node: LlmNode, scope: ExpressionScope): Promise<unknown> {
  const definition = interpreter.prepared.definition;
  const turn: LlmCallRequest = {
    nodeId: id,
    node,
    scope,
    secretReferences: definition.secrets ?? {},
    dataPolicy: definition.data_policy,
    agent: definition.id,
    user: interpreter.state.run.user,
    limits: { max_llm_calls: definition.limits?.max_llm_calls, max_cost_usd: definition.limits?.max_cost_usd },
    ...(interpreter.enclosing.length > 0 ? { enclosing: [...interpreter.enclosing] } : {}),
  };
  const { callLlm } = interpreter.activities(node, true);
  if (!node.tools?.length || !patched(TOOL_LOOP_PATCH)) {
    const result = await outlastingOutages(interpreter.prepared, (outages) => callLlm({ ...turn, ...outages }));
    return result.output ?? result.text;
  }

  const offered = offerTools(definition, node);
  const limits = {
    maxIterations: node.max_iterations ?? definition.limits?.max_iterations ?? DEFAULT_MAX_ITERATIONS,
    onExhausted: node.on_max_iterations ?? 'fail',
  };
  let loop = startToolLoop({ model: node.model, messages: [], tools: [...offered.values()].map((tool) => tool.definition) });
  for (;;) {
    const request = { ...turn, tools: loop.request.tools, conversation: loop.request.messages };
    const result = await outlastingOutages(interpreter.prepared, (outages) => callLlm({ ...request, ...outages }));
    const step = recordModelResponse(loop, asModelResponse(result), limits);
    if (step.kind === 'answer') return step.exhausted ? step.text : (result.output ?? result.text);
    if (step.kind === 'failed') throw ApplicationFailure.create({ type: step.code, message: `nodes.${id}: ${step.message}`, nonRetryable: true });
    const results: ToolResult[] = [...step.rejected];
    // One at a time, in the order the model asked: tools may have side effects whose order it chose.
    for (const call of step.toolCalls) results.push(await runRequestedTool(interpreter, turn, offered.get(call.name)!, call));
    loop = withToolResults(step.state, results);
  }
}

/** The tools the node offers, by the name the model calls them: tool nodes of the definition, else registered tools. */
function offerTools(definition: Definition, node: LlmNode): Map<string, OfferedTool> {
  const offered = new Map<string, OfferedTool>();
  for (const tool of node.tools ?? []) {
    const name = llmToolName(tool);
    const declared: { description?: string; input_schema?: ToolDefinition['parameters'] } = typeof tool === 'string' ? {} : tool;
    const named = definition.nodes[name];
    // A registered tool gets the model's arguments as its input; a tool node reads them as nodes.<id>.arguments.
    const toolNode: ToolNode = named?.type === 'tool' ? named : { type: 'tool', tool: name, input: `{{ nodes['${name}'].arguments }}`, irreversible: false };
    const description = declared.description ?? toolNode.description;
    offered.set(name, {
      stepId: name,
      node: toolNode,
      definition: { name, ...(description ? { description } : {}), parameters: declared.input_schema ?? { type: 'object', properties: {} } },
    });
  }
  return offered;
}

async function runRequestedTool(interpreter: NodeContext, turn: LlmCallRequest, tool: OfferedTool, call: ToolCall): Promise<ToolResult> {
  if (tool.node.irreversible) {
    const event = {
      nodeId: turn.nodeId,
      type: 'security.tool_call_refused' as const,
      agent: turn.agent,
      user: turn.user,
      payload: { tool: call.name, reason: 'irreversible tools need a human approval; a model cannot request one' },
    };
    await bookkeepingOutlastingOutages(interpreter.prepared.dependencyWaitMs, (outages) => recordLlmEvent({ ...event, ...outages }));
    return {
      toolCallId: call.id,
      name: call.name,
      content: `not run: ${call.name} is irreversible and needs a human approval, which this step cannot give`,
      isError: true,
    };
  }
  const state = interpreter.state;
  // Each call is a visit of the tool: distinct idempotency keys for repeated calls.
  state.visits[tool.stepId] = (state.visits[tool.stepId] ?? 0) + 1;
  const scope = scopeOf(state);
  const earlier = scope.nodes?.[tool.stepId];
  const nodes = { ...scope.nodes, [tool.stepId]: { ...(isRecord(earlier) ? earlier : {}), arguments: call.arguments } };
  const result = await runToolStep(interpreter, tool.stepId, tool.node, { ...scope, nodes });
  return { toolCallId: call.id, name: call.name, content: toContent(result.body) };
}

function withToolResults(state: ToolLoopState, results: ToolResult[]): ToolLoopState {
  const messages = results.map((result) => ({
    role: 'tool' as const,
    toolCallId: result.toolCallId,
    name: result.name,
    content: result.content,
    ...(result.isError ? { isError: true } : {}),
  }));
  return { ...state, request: { ...state.request, messages: [...state.request.messages, ...messages] } };
}

function asModelResponse(result: LlmCallResult): ModelResponse {
  const toolCalls = result.toolCalls ?? [];
  return {
    provider: result.provider as LlmProvider,
    model: result.model,
    text: result.text,
    toolCalls,
    usage: result.usage,
    stopReason: toolCalls.length > 0 ? 'tool_use' : 'end',
  };
}

function toContent(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null');
  return text.length > MAX_TOOL_RESULT_CHARS ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}${TRUNCATION_MARK}` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

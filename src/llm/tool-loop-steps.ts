// The tool-use loop as single steps over plain JSON state, so a workflow can drive it one model call (activity) at a
// time: start → request → record the response → run the tools it asks for → add their results → request again.
// Pure and non-throwing: outcomes are returned as data, ready to become workflow state or an ApplicationFailure.
import { applyInputGuard, type InputGuardPolicy } from './input-guard/apply-input-guard';
import type { InjectionFinding } from './input-guard/scan-untrusted-text';
import type { ChatMessage, ModelRequest, ModelResponse, ToolCall, Usage } from './types';
import { ZERO_USAGE, addUsage } from './types';

export const DEFAULT_MAX_ITERATIONS = 5;

/** Ends a tool result that was cut to the size the model is given. */
export const TRUNCATION_MARK = ' [truncated]';

export type OnExhausted = 'fail' | 'last_answer';

export interface ToolLoopLimits {
  /** Model calls allowed in the loop (the IR's max_iterations). */
  maxIterations: number;
  onExhausted: OnExhausted;
}

export interface ToolLoopState {
  request: ModelRequest;
  /** Model calls made so far. */
  iterations: number;
  usage: Usage;
  /** The latest non-empty text the model produced, for `onExhausted: 'last_answer'`. */
  lastText: string;
  guardFindings: Array<{ toolCallId: string; tool: string; findings: InjectionFinding[] }>;
}

export interface ToolResult {
  toolCallId: string;
  name: string;
  content: string;
  isError?: boolean;
}

export type ToolLoopStep =
  /** Run these calls (each as its own activity), then pass their results to `addToolResults`. */
  | { kind: 'run_tools'; state: ToolLoopState; toolCalls: ToolCall[]; rejected: ToolResult[] }
  | { kind: 'answer'; state: ToolLoopState; text: string; exhausted: boolean }
  | { kind: 'failed'; state: ToolLoopState; code: 'LIMIT_EXCEEDED'; message: string };

export type ToolResultsStep =
  | { kind: 'continue'; state: ToolLoopState }
  | { kind: 'failed'; state: ToolLoopState; code: 'INPUT_BLOCKED'; message: string };

export function startToolLoop(request: ModelRequest): ToolLoopState {
  return { request, iterations: 0, usage: { ...ZERO_USAGE }, lastText: '', guardFindings: [] };
}

/** The request for the next model call. */
export function nextModelRequest(state: ToolLoopState): ModelRequest {
  return state.request;
}

/** Why a call the model asked for will not run; the model is told instead, and may correct itself. */
function rejectionOf(call: ToolCall, offered: ReadonlySet<string>): string | undefined {
  if (!offered.has(call.name)) return `tool ${JSON.stringify(call.name)} is not offered in this step`;
  if (call.argumentsInvalid) return `the arguments for ${call.name} were not a JSON object; call it again with valid arguments`;
  return undefined;
}

/** Records one model response and decides what comes next. */
export function recordModelResponse(state: ToolLoopState, response: ModelResponse, limits: ToolLoopLimits): ToolLoopStep {
  const assistant: ChatMessage = { role: 'assistant', content: response.text, ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}) };
  const next: ToolLoopState = {
    ...state,
    request: { ...state.request, messages: [...state.request.messages, assistant] },
    iterations: state.iterations + 1,
    usage: addUsage(state.usage, response.usage),
    lastText: response.text.trim() !== '' ? response.text : state.lastText,
  };
  if (response.toolCalls.length === 0) return { kind: 'answer', state: next, text: response.text, exhausted: false };
  if (next.iterations >= limits.maxIterations) {
    if (limits.onExhausted === 'last_answer') return { kind: 'answer', state: next, text: next.lastText, exhausted: true };
    return {
      kind: 'failed',
      state: next,
      code: 'LIMIT_EXCEEDED',
      message: `max_iterations (${limits.maxIterations}) reached while the model still asked for tools`,
    };
  }
  const offered = new Set((state.request.tools ?? []).map((tool) => tool.name));
  const toolCalls: ToolCall[] = [];
  const rejected: ToolResult[] = [];
  for (const call of response.toolCalls) {
    const reason = rejectionOf(call, offered);
    if (reason === undefined) toolCalls.push(call);
    else rejected.push({ toolCallId: call.id, name: call.name, content: reason, isError: true });
  }
  return { kind: 'run_tools', state: next, toolCalls, rejected };
}

/**
 * Adds tool results to the conversation, passing each through the input guard first: tool output is untrusted.
 * Results must be given for every call of the last step (run and rejected), in any order.
 */
export function addToolResults(state: ToolLoopState, results: ToolResult[], guard: InputGuardPolicy = 'block'): ToolResultsStep {
  const messages: ChatMessage[] = [];
  const guardFindings = [...state.guardFindings];
  for (const result of results) {
    const guarded = applyInputGuard(result.content, guard);
    if (guarded.findings.length > 0) guardFindings.push({ toolCallId: result.toolCallId, tool: result.name, findings: guarded.findings });
    if (guarded.blocked) {
      const kinds = [...new Set(guarded.findings.map((finding) => finding.kind))].join(', ');
      return {
        kind: 'failed',
        state: { ...state, guardFindings },
        code: 'INPUT_BLOCKED',
        message: `the result of tool ${result.name} was blocked by the input guard (${kinds})`,
      };
    }
    messages.push({ role: 'tool', toolCallId: result.toolCallId, name: result.name, content: guarded.text, ...(result.isError ? { isError: true } : {}) });
  }
  return { kind: 'continue', state: { ...state, guardFindings, request: { ...state.request, messages: [...state.request.messages, ...messages] } } };
}

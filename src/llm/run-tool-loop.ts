// Drives the tool-use loop end to end over injected `call` and `executeTool` functions (activities in production).
// Pure orchestration over tool-loop-steps.ts; throws LlmError for the loop's typed failures.
import { LlmError } from './errors';
import type { InputGuardPolicy } from './input-guard/apply-input-guard';
import type { OutputCheck } from './output-validator';
import { ensureStructuredOutput } from './structured-output';
import {
  DEFAULT_MAX_ITERATIONS,
  addToolResults,
  nextModelRequest,
  recordModelResponse,
  startToolLoop,
  type OnExhausted,
  type ToolLoopState,
  type ToolResult,
} from './tool-loop-steps';
import { addUsage, type ModelRequest, type ModelResponse, type ToolCall } from './types';

export interface RunToolLoopOptions {
  request: ModelRequest;
  /** One model call; budget checks belong here, before the provider is asked. */
  call: (request: ModelRequest) => Promise<ModelResponse>;
  /** Runs one tool call; a string is passed on as is, anything else as JSON. Throwing fails the loop. */
  executeTool: (call: ToolCall) => Promise<unknown>;
  maxIterations?: number;
  onExhausted?: OnExhausted;
  /** Policy for tool results before the model sees them; `block` by default. */
  toolResultGuard?: InputGuardPolicy;
  /** With an output_schema: checks the final answer, which gets one repair call (see structured-output.ts). */
  checkOutput?: (text: string) => OutputCheck;
}

export interface ToolLoopResult {
  text: string;
  /** True when max_iterations ended the loop and `text` is the last answer seen. */
  exhausted: boolean;
  /** The parsed answer, when `checkOutput` was given and the loop was not exhausted. */
  output?: unknown;
  repaired?: boolean;
  /** Final conversation, model calls and summed usage (the repair call included). */
  state: ToolLoopState;
}

function toContent(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

async function finish(options: RunToolLoopOptions, state: ToolLoopState, response: ModelResponse, exhausted: boolean): Promise<ToolLoopResult> {
  if (!options.checkOutput || exhausted) return { text: exhausted ? state.lastText : response.text, exhausted, state };
  const checked = await ensureStructuredOutput({ request: state.request, response, check: options.checkOutput, call: options.call });
  const repair = checked.responses[1];
  if (!repair) return { text: response.text, exhausted, output: checked.value, repaired: false, state };
  const repairedState = { ...state, iterations: state.iterations + 1, usage: addUsage(state.usage, repair.usage) };
  return { text: repair.text, exhausted, output: checked.value, repaired: true, state: repairedState };
}

export async function runToolLoop(options: RunToolLoopOptions): Promise<ToolLoopResult> {
  const limits = { maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS, onExhausted: options.onExhausted ?? 'fail' };
  let state = startToolLoop(options.request);
  for (;;) {
    const response = await options.call(nextModelRequest(state));
    const step = recordModelResponse(state, response, limits);
    if (step.kind === 'answer') return finish(options, step.state, response, step.exhausted);
    if (step.kind === 'failed') throw new LlmError(step.code, step.message, { retryable: false });
    const results: ToolResult[] = [...step.rejected];
    // Sequential on purpose: tools may have side effects whose order the model chose.
    for (const toolCall of step.toolCalls) {
      results.push({ toolCallId: toolCall.id, name: toolCall.name, content: toContent(await options.executeTool(toolCall)) });
    }
    const added = addToolResults(step.state, results, options.toolResultGuard);
    if (added.kind === 'failed') throw new LlmError(added.code, added.message, { retryable: false });
    state = added.state;
  }
}

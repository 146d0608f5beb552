// Structured output: accept an answer that matches the schema, else ask once for a corrected one, else fail with
// OUTPUT_INVALID. Pure orchestration (the validator and the model call are injected): safe in workflows.
import { LlmError } from './errors';
import type { OutputCheck } from './output-validator';
import type { ChatMessage, ModelRequest, ModelResponse } from './types';

export interface StructuredOutput {
  value: unknown;
  /** Every response the step consumed (one, or two when repaired), for accounting. */
  responses: ModelResponse[];
  repaired: boolean;
}

/** The follow-up turn that asks the model to fix its answer, naming what was wrong with it. */
export function buildRepairMessage(problems: string[]): ChatMessage {
  return {
    role: 'user',
    content:
      'Your previous answer did not match the required JSON Schema:\n' +
      problems.map((problem) => `- ${problem}`).join('\n') +
      '\nReply again with only the corrected JSON value, no other text.',
  };
}

/** The request for the repair call: the conversation so far, the invalid answer, and the repair message. */
export function buildRepairRequest(request: ModelRequest, answer: string, problems: string[]): ModelRequest {
  const messages = [...request.messages];
  const last = messages[messages.length - 1];
  // The tool loop has already appended the model's answer; a plain call has not.
  if (!(last?.role === 'assistant' && last.content === answer)) messages.push({ role: 'assistant', content: answer });
  return { ...request, messages: [...messages, buildRepairMessage(problems)] };
}

function checkResponse(response: ModelResponse, check: (text: string) => OutputCheck): OutputCheck {
  if (response.toolCalls.length > 0) return { ok: false, problems: ['the answer called a tool instead of giving the JSON value'] };
  return check(response.text);
}

/**
 * Validates `response` (the answer to `request`); on failure makes exactly one repair call.
 * Throws LlmError OUTPUT_INVALID when the repaired answer is still invalid.
 */
export async function ensureStructuredOutput(options: {
  request: ModelRequest;
  response: ModelResponse;
  check: (text: string) => OutputCheck;
  call: (request: ModelRequest) => Promise<ModelResponse>;
}): Promise<StructuredOutput> {
  const first = checkResponse(options.response, options.check);
  if (first.ok) return { value: first.value, responses: [options.response], repaired: false };
  const repairResponse = await options.call(buildRepairRequest(options.request, options.response.text, first.problems));
  const second = checkResponse(repairResponse, options.check);
  if (second.ok) return { value: second.value, responses: [options.response, repairResponse], repaired: true };
  throw new LlmError('OUTPUT_INVALID', `the model's output did not match output_schema after one repair attempt: ${second.problems.join('; ')}`, {
    retryable: false,
    provider: repairResponse.provider,
  });
}

// The Anthropic Messages adapter over the official SDK.
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { z } from 'zod';
import { parseRetryAfter } from '../retry-policy';
import { safeErrorType, type ProviderFailure } from '../provider-failure';
import type { ChatMessage, ModelRequest, ModelResponse, StopReason, ToolCall } from '../types';
import { isUnsentConnectionError, type ProviderAdapter, type ProviderAttempt } from './provider-call';
import { zodIssuePath } from '../../common/zod-issues';

/** Anthropic requires max_tokens; this is used when the node does not set one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

const Message = z.object({
  model: z.string(),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullish(),
  usage: z.object({
    input_tokens: z.int().min(0),
    output_tokens: z.int().min(0),
    cache_creation_input_tokens: z.int().min(0).nullish(),
    cache_read_input_tokens: z.int().min(0).nullish(),
  }),
});
const TextBlock = z.object({ type: z.literal('text'), text: z.string() });
const ToolUseBlock = z.object({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.unknown() });

const STOP_REASONS: Record<string, StopReason> = { end_turn: 'end', stop_sequence: 'end', tool_use: 'tool_use', max_tokens: 'max_tokens', refusal: 'refusal' };

function blocksOf(message: ChatMessage): ContentBlockParam[] {
  switch (message.role) {
    case 'user':
      return [{ type: 'text', text: message.content }];
    case 'assistant':
      return [
        ...(message.content !== '' ? [{ type: 'text' as const, text: message.content }] : []),
        ...(message.toolCalls ?? []).map((call) => ({ type: 'tool_use' as const, id: call.id, name: call.name, input: call.arguments })),
      ];
    case 'tool':
      return [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content, ...(message.isError ? { is_error: true } : {}) }];
  }
}

/** Tool results travel in user turns, and consecutive same-role turns are merged so roles alternate. */
function toAnthropicMessages(messages: ChatMessage[]): MessageParam[] {
  const merged: MessageParam[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(message);
    const previous = merged[merged.length - 1];
    if (previous && previous.role === role && Array.isArray(previous.content)) previous.content.push(...blocks);
    else merged.push({ role, content: blocks });
  }
  return merged;
}

export function buildAnthropicParams(request: ModelRequest): MessageCreateParamsNonStreaming {
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages: toAnthropicMessages(request.messages),
    ...(request.system ? { system: request.system } : {}),
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            ...(tool.description ? { description: tool.description } : {}),
            input_schema: { type: 'object' as const, ...tool.parameters },
          })),
        }
      : {}),
    ...(request.outputSchema ? { output_config: { format: { type: 'json_schema' as const, schema: request.outputSchema.schema } } } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

function toToolCall(block: z.infer<typeof ToolUseBlock>): ToolCall {
  const input = block.input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return { id: block.id, name: block.name, arguments: input as Record<string, unknown> };
  }
  return { id: block.id, name: block.name, arguments: {}, argumentsInvalid: true };
}

async function send(request: ModelRequest, attempt: ProviderAttempt): Promise<ModelResponse> {
  // Passing apiKey makes it the client's only credential: ambient ANTHROPIC_AUTH_TOKEN is never read.
  const client = new Anthropic({
    apiKey: attempt.apiKey,
    baseURL: attempt.baseUrl ?? null,
    maxRetries: 0,
    timeout: attempt.timeoutMs,
    logLevel: 'off',
  });
  const raw: unknown = await client.messages.create(buildAnthropicParams(request), { signal: attempt.signal, maxRetries: 0 });
  const parsed = Message.safeParse(raw);
  if (!parsed.success) throw parsed.error;
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of parsed.data.content) {
    const asText = TextBlock.safeParse(block);
    if (asText.success) text.push(asText.data.text);
    const asToolUse = ToolUseBlock.safeParse(block);
    if (asToolUse.success) toolCalls.push(toToolCall(asToolUse.data));
  }
  const usage = parsed.data.usage;
  return {
    provider: 'anthropic',
    model: parsed.data.model,
    text: text.join(''),
    toolCalls,
    // Cache writes and reads are input the provider processed; counting them at the input price errs on the safe side.
    usage: {
      inputTokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      outputTokens: usage.output_tokens,
    },
    stopReason: STOP_REASONS[parsed.data.stop_reason ?? ''] ?? 'other',
  };
}

function classify(error: unknown): ProviderFailure {
  if (error instanceof APIUserAbortError) return { kind: 'cancelled' };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) return isUnsentConnectionError(error) ? { kind: 'connection', unsent: true } : { kind: 'connection' };
  if (error instanceof APIError && typeof error.status === 'number') {
    return {
      kind: 'http',
      status: error.status,
      errorType: safeErrorType(error.errorCode) ?? safeErrorType(error.type),
      retryAfterMs: parseRetryAfter((name) => error.headers?.get(name)),
    };
  }
  if (error instanceof z.ZodError) return { kind: 'malformed', problem: error.issues.map((issue) => zodIssuePath(issue)).join(', ') };
  return { kind: 'malformed', problem: 'unexpected client failure' };
}

export const ANTHROPIC_ADAPTER: ProviderAdapter = { send, classify };

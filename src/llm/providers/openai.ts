// The OpenAI Chat Completions adapter (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp, LM Studio) over the official SDK.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { parseRetryAfter } from '../retry-policy';
import { safeErrorType, type ProviderFailure } from '../provider-failure';
import type { ChatMessage, ModelRequest, ModelResponse, StopReason } from '../types';
import { isUnsentConnectionError, parseToolArguments, type ProviderAdapter, type ProviderAttempt } from './provider-call';
import { zodIssuePath } from '../../common/zod-issues';

const Completion = z.object({
  model: z.string(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z
            .array(z.object({ id: z.string().min(1), function: z.object({ name: z.string().min(1), arguments: z.string() }) }))
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.int().min(0), completion_tokens: z.int().min(0) }),
});

const STOP_REASONS: Record<string, StopReason> = { stop: 'end', tool_calls: 'tool_use', length: 'max_tokens', content_filter: 'refusal' };

function toOpenAiMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content === '' && message.toolCalls?.length ? null : message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: JSON.stringify(call.arguments) },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

export function buildOpenAiParams(request: ModelRequest): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  messages.push(...request.messages.map(toOpenAiMessage));
  return {
    model: request.model,
    messages,
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => ({
            type: 'function' as const,
            function: { name: tool.name, description: tool.description, parameters: tool.parameters },
          })),
        }
      : {}),
    ...(request.outputSchema
      ? {
          response_format: {
            type: 'json_schema' as const,
            json_schema: { name: request.outputSchema.name ?? 'output', schema: request.outputSchema.schema, strict: false },
          },
        }
      : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    // max_tokens rather than max_completion_tokens: the OpenAI-compatible servers (Ollama, vLLM, llama.cpp) read it.
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
  };
}

async function send(request: ModelRequest, attempt: ProviderAttempt): Promise<ModelResponse> {
  const client = new OpenAI({
    apiKey: attempt.apiKey,
    baseURL: attempt.baseUrl ?? null,
    // Explicit nulls so ambient OPENAI_ORG_ID / OPENAI_PROJECT_ID never reach a tenant's provider.
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: attempt.timeoutMs,
    logLevel: 'off',
  });
  const raw: unknown = await client.chat.completions.create(buildOpenAiParams(request), { signal: attempt.signal, maxRetries: 0 });
  const parsed = Completion.safeParse(raw);
  if (!parsed.success) throw parsed.error;
  const choice = parsed.data.choices[0]!;
  return {
    provider: 'openai',
    model: parsed.data.model,
    text: choice.message.content ?? '',
    toolCalls: (choice.message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, ...parseToolArguments(call.function.arguments) })),
    usage: { inputTokens: parsed.data.usage.prompt_tokens, outputTokens: parsed.data.usage.completion_tokens },
    stopReason: choice.message.refusal ? 'refusal' : (STOP_REASONS[choice.finish_reason ?? ''] ?? 'other'),
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
      errorType: safeErrorType(error.code) ?? safeErrorType(error.type),
      retryAfterMs: parseRetryAfter((name) => error.headers?.get(name)),
    };
  }
  if (error instanceof z.ZodError) return { kind: 'malformed', problem: error.issues.map((issue) => zodIssuePath(issue)).join(', ') };
  return { kind: 'malformed', problem: 'unexpected client failure' };
}

export const OPENAI_ADAPTER: ProviderAdapter = { send, classify };

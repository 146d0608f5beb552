// The OpenAI Chat Completions wire format: request bodies in (validated), completions and errors out.
import { z } from 'zod';
import { countInputTokens, countOutputTokens, type Conversation, type ConversationMessage, type Reply } from './conversation';

const JsonObject = z.record(z.string(), z.unknown());
const Content = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()]).optional();

const OpenAiMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: Content,
  tool_calls: z
    .array(z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) }))
    .optional(),
  tool_call_id: z.string().optional(),
});

export const OpenAiRequest = z.object({
  model: z.string().min(1),
  messages: z.array(OpenAiMessage).min(1),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({ name: z.string().min(1), description: z.string().optional(), parameters: JsonObject.optional() }),
      }),
    )
    .optional(),
  response_format: z
    .union([
      z.object({ type: z.literal('json_schema'), json_schema: z.object({ name: z.string().min(1), schema: JsonObject.optional() }) }),
      z.object({ type: z.enum(['text', 'json_object']) }),
    ])
    .optional(),
  stream: z.boolean().nullish(),
});
export type OpenAiRequest = z.infer<typeof OpenAiRequest>;

function textOf(content: z.infer<typeof Content>): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

export function toConversation(body: OpenAiRequest): Conversation {
  const system = body.messages
    .filter((message) => message.role === 'system' || message.role === 'developer')
    .map((message) => textOf(message.content))
    .join('\n');
  const messages: ConversationMessage[] = body.messages
    .filter((message) => message.role !== 'system' && message.role !== 'developer')
    .map((message) => ({
      role: message.role as ConversationMessage['role'],
      text: textOf(message.content),
      toolCalls: (message.tool_calls ?? []).map((call) => call.function.name),
    }));
  const format = body.response_format;
  return {
    protocol: 'openai',
    model: body.model,
    system,
    messages,
    tools: (body.tools ?? []).map((tool) => ({ name: tool.function.name, parameters: tool.function.parameters })),
    outputSchema: format?.type === 'json_schema' ? (format.json_schema.schema ?? {}) : undefined,
  };
}

export function renderCompletion(conversation: Conversation, reply: Exclude<Reply, { kind: 'error' }>, sequence: number): unknown {
  const promptTokens = countInputTokens(conversation);
  const completionTokens = countOutputTokens(reply);
  const message =
    reply.kind === 'answer'
      ? { role: 'assistant', content: reply.text, refusal: null }
      : {
          role: 'assistant',
          content: reply.text,
          refusal: null,
          tool_calls: reply.calls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        };
  return {
    id: `chatcmpl-local-${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: conversation.model,
    system_fingerprint: 'steward-local',
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.kind === 'answer' ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { type: 'invalid_request_error', code: 'not_found' },
  413: { type: 'invalid_request_error', code: 'request_too_large' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

export function renderOpenAiError(status: number, message: string): unknown {
  const known = ERROR_TYPES[status] ?? { type: 'server_error', code: null };
  return { error: { message, type: known.type, param: null, code: known.code } };
}

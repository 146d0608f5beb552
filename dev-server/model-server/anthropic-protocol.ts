// The Anthropic Messages wire format: request bodies in (validated), messages and errors out.
import { z } from 'zod';
import { countInputTokens, countOutputTokens, type Conversation, type ConversationMessage, type Reply } from './conversation';

const JsonObject = z.record(z.string(), z.unknown());
const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const ToolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const ToolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
  is_error: z.boolean().optional(),
});
const OtherBlock = z.looseObject({ type: z.string() });
const Block = z.union([TextBlock, ToolUseBlock, ToolResultBlock, OtherBlock]);

export const AnthropicRequest = z.object({
  model: z.string().min(1),
  max_tokens: z.int().min(1),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(Block)]) })).min(1),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  tools: z.array(z.object({ name: z.string().min(1), description: z.string().optional(), input_schema: JsonObject })).optional(),
  output_config: z.object({ format: z.object({ type: z.literal('json_schema'), schema: JsonObject }).nullish() }).optional(),
  stream: z.boolean().optional(),
});
export type AnthropicRequest = z.infer<typeof AnthropicRequest>;

type Block = z.infer<typeof Block>;

function toMessages(role: 'user' | 'assistant', content: string | Block[]): ConversationMessage[] {
  if (typeof content === 'string') return [{ role, text: content, toolCalls: [] }];
  const messages: ConversationMessage[] = [];
  const text = content.flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : [])).join('');
  const toolCalls = content.flatMap((block) => (block.type === 'tool_use' && typeof block.name === 'string' ? [block.name] : []));
  for (const block of content) {
    const result = ToolResultBlock.safeParse(block);
    if (!result.success) continue;
    const resultContent = result.data.content;
    const resultText = typeof resultContent === 'string' ? resultContent : (resultContent ?? []).map((part) => part.text ?? '').join('');
    messages.push({ role: 'tool', text: resultText, toolCalls: [] });
  }
  if (text !== '' || toolCalls.length > 0 || messages.length === 0) messages.push({ role, text, toolCalls });
  return messages;
}

export function toConversation(body: AnthropicRequest): Conversation {
  const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((block) => block.text).join('\n');
  return {
    protocol: 'anthropic',
    model: body.model,
    system,
    messages: body.messages.flatMap((message) => toMessages(message.role, message.content)),
    tools: (body.tools ?? []).map((tool) => ({ name: tool.name, parameters: tool.input_schema })),
    outputSchema: body.output_config?.format?.schema,
  };
}

export function renderMessage(conversation: Conversation, reply: Exclude<Reply, { kind: 'error' }>, sequence: number): unknown {
  const content =
    reply.kind === 'answer'
      ? [{ type: 'text', text: reply.text }]
      : [{ type: 'text', text: reply.text }, ...reply.calls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments }))];
  return {
    id: `msg_local_${sequence}`,
    type: 'message',
    role: 'assistant',
    model: conversation.model,
    content,
    stop_reason: reply.kind === 'answer' ? 'end_turn' : 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: countInputTokens(conversation), output_tokens: countOutputTokens(reply) },
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function renderAnthropicError(status: number, message: string): unknown {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } };
}

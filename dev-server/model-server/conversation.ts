// The protocol-neutral view of one request that the scripted rules answer, whichever protocol it came in.

export type Protocol = 'openai' | 'anthropic';

export interface ConversationMessage {
  role: 'user' | 'assistant' | 'tool';
  text: string;
  /** Names of the tools an assistant message called. */
  toolCalls: string[];
}

export interface OfferedTool {
  name: string;
  parameters: Record<string, unknown> | undefined;
}

export interface Conversation {
  protocol: Protocol;
  model: string;
  system: string;
  messages: ConversationMessage[];
  tools: OfferedTool[];
  /** The JSON Schema the answer must match (OpenAI `response_format`, Anthropic `output_config.format`). */
  outputSchema: Record<string, unknown> | undefined;
}

export interface ToolCallReply {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** What the rules decided; each protocol module renders it in its own wire format. */
export type Reply =
  | { kind: 'answer'; text: string; delayMs: number }
  | { kind: 'tool_calls'; text: string; calls: ToolCallReply[]; delayMs: number }
  | { kind: 'error'; status: number; retryAfterSeconds?: number; delayMs: number };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** A deterministic stand-in for a tokenizer: one token per four characters, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function countInputTokens(conversation: Conversation): number {
  const parts = [
    conversation.system,
    ...conversation.messages.map((message) => message.text),
    ...conversation.tools.map((tool) => JSON.stringify(tool)),
    conversation.outputSchema ? JSON.stringify(conversation.outputSchema) : '',
  ];
  return countTokens(parts.join('\n'));
}

export function countOutputTokens(reply: Reply): number {
  if (reply.kind === 'answer') return countTokens(reply.text);
  if (reply.kind === 'tool_calls') return countTokens(reply.text + JSON.stringify(reply.calls));
  return 0;
}

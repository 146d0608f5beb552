// Provider-neutral shapes of a model call: messages, tools, tool calls, usage. Plain JSON data, so they can cross
// activity boundaries and sit in workflow state. Pure: safe to import from workflows.

export type LlmProvider = 'openai' | 'anthropic';

/** A JSON Schema object, as written in the IR (tool parameters, output schemas). */
export type JsonSchema = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

export interface ToolCall {
  /** The provider's id, echoed back on the tool's result. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** Set when the model sent arguments that were not a JSON object; they are then `{}` and the call must not run. */
  argumentsInvalid?: true;
}

export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface OutputSchema {
  /** A name for the schema (OpenAI requires one); defaults to `output`. */
  name?: string;
  schema: JsonSchema;
}

export interface ModelRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  outputSchema?: OutputSchema;
  temperature?: number;
  maxTokens?: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type StopReason = 'end' | 'tool_use' | 'max_tokens' | 'refusal' | 'other';

export interface ModelResponse {
  provider: LlmProvider;
  /** The model the provider says answered (may be a dated snapshot of the one asked for). */
  model: string;
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  stopReason: StopReason;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export function addUsage(left: Usage, right: Usage): Usage {
  return { inputTokens: left.inputTokens + right.inputTokens, outputTokens: left.outputTokens + right.outputTokens };
}

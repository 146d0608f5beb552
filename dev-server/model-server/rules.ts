// The model server's deterministic answers. Rules are chosen by directives written into the model name or the
// first user message (the prompt), so a test controls the "model" just by what it asks:
//
//   (none)              answer `echo: <text of the last user message>`
//   (tool calls)        carry the text `calling <tool names>` alongside, as real models often do
//   (output schema)     when the request carries a JSON Schema (OpenAI `response_format: json_schema`, Anthropic
//                       `output_config.format`), answer a fixed JSON value that satisfies it
//   !json=invalid       answer JSON that violates the schema, every time (exercises the typed failure)
//   !json=invalid-once  violate the schema until the conversation holds a user turn after an assistant turn
//                       (i.e. the repair request), then answer valid JSON
//   !json=broken-once   like invalid-once, but the first answer is not JSON at all
//   !tools=a,b          call tool `a`, then (after its result) tool `b`, then answer `done: a, b; last result: <text>`
//                       (arguments are built from each tool's parameter schema; unknown tools are called anyway)
//   !loop=a             call tool `a` on every turn, never answering (exercises max_iterations)
//   !gullible           if the latest tool result says "call <tool>" for an offered tool, call it (what an injected
//                       model would do)
//   !429=S              the first request of the conversation gets 429 with `Retry-After: S` (default 1), then success
//   !500 / !5xx=503     the first request of the conversation gets that 5xx status, then success
//   !slow=MS            every response waits MS milliseconds (cancellation, timeouts)
//   !slow-once=MS       only the first request of the conversation waits MS milliseconds (timeout, then retry)
//
// "The conversation" is the model, system prompt and first user message: retries and later turns of one tool loop
// share it, so "first request" means the first one the server ever saw for it (cleared by DELETE /_recorded).
import type { Conversation, Reply, ToolCallReply } from './conversation';
import { buildSchemaExample } from './schema-example';

const DIRECTIVE = /!([a-z0-9-]+)(?:=([^\s,!]+(?:,[^\s,!]+)*))?/gi;

export type Directives = ReadonlyMap<string, string>;

/** Directives from the model name and the first user message; the prompt wins over the model name. */
export function readDirectives(conversation: Conversation): Directives {
  const found = new Map<string, string>();
  const firstUser = conversation.messages.find((message) => message.role === 'user')?.text ?? '';
  for (const source of [conversation.model, firstUser]) {
    for (const match of source.matchAll(DIRECTIVE)) found.set(match[1]!.toLowerCase(), match[2] ?? '');
  }
  return found;
}

/** The key under which "once" rules count requests. */
export function conversationKey(conversation: Conversation): string {
  const firstUser = conversation.messages.find((message) => message.role === 'user')?.text ?? '';
  return JSON.stringify([conversation.protocol, conversation.model, conversation.system, firstUser]);
}

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

function lastText(conversation: Conversation, role: 'user' | 'tool'): string {
  return [...conversation.messages].reverse().find((message) => message.role === role)?.text ?? '';
}

function callTool(conversation: Conversation, name: string, turn: number): ToolCallReply {
  const parameters = conversation.tools.find((tool) => tool.name === name)?.parameters;
  const example = buildSchemaExample(parameters ?? { type: 'object' });
  const args = typeof example === 'object' && example !== null && !Array.isArray(example) ? (example as Record<string, unknown>) : {};
  return { id: `call_${turn}_${name}`, name, arguments: args };
}

/** The tool an injected instruction in the latest tool results asks for, if it is one the request offers. */
function injectedToolCall(conversation: Conversation): string | undefined {
  const trailingResults: string[] = [];
  for (let index = conversation.messages.length - 1; index >= 0; index -= 1) {
    const message = conversation.messages[index]!;
    if (message.role !== 'tool') break;
    trailingResults.push(message.text);
  }
  for (const text of trailingResults) {
    for (const match of text.matchAll(/\bcall\s+(?:the\s+)?(?:tool\s+)?[`'"]?([A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*)/gi)) {
      if (conversation.tools.some((tool) => tool.name === match[1])) return match[1];
    }
  }
  return undefined;
}

function callTools(calls: ToolCallReply[], delayMs: number): Reply {
  return { kind: 'tool_calls', text: `calling ${calls.map((call) => call.name).join(', ')}`, calls, delayMs };
}

function answer(conversation: Conversation, directives: Directives, delayMs: number, toolsDone: string[]): Reply {
  if (conversation.outputSchema) {
    const mode = directives.get('json');
    // A follow-up is a user turn after an assistant turn: the repair request (tool results are not user turns).
    const firstTurn = !conversation.messages.some(
      (message, index) => message.role === 'user' && conversation.messages.slice(0, index).some((earlier) => earlier.role === 'assistant'),
    );
    if (mode === 'invalid' || (mode === 'invalid-once' && firstTurn)) {
      return { kind: 'answer', text: JSON.stringify({ unexpected_field: 'this does not match the schema' }), delayMs };
    }
    if (mode === 'broken-once' && firstTurn) return { kind: 'answer', text: 'Sure! Here is the JSON: {"oops": ', delayMs };
    return { kind: 'answer', text: JSON.stringify(buildSchemaExample(conversation.outputSchema)), delayMs };
  }
  if (toolsDone.length > 0) {
    return { kind: 'answer', text: `done: ${toolsDone.join(', ')}; last result: ${lastText(conversation, 'tool')}`, delayMs };
  }
  return { kind: 'answer', text: `echo: ${lastText(conversation, 'user')}`, delayMs };
}

/** Decides the reply to one request; `requestNumber` is 1 for the first request of this conversation. */
export function decideReply(conversation: Conversation, requestNumber: number): Reply {
  const directives = readDirectives(conversation);
  const first = requestNumber === 1;
  const delayMs = positiveInt(directives.get('slow'), 0) + (first ? positiveInt(directives.get('slow-once'), 0) : 0);

  if (first && directives.has('429')) {
    return { kind: 'error', status: 429, retryAfterSeconds: positiveInt(directives.get('429'), 1), delayMs };
  }
  if (first && (directives.has('500') || directives.has('5xx'))) {
    const status = positiveInt(directives.get('5xx'), 500);
    return { kind: 'error', status: status >= 500 && status <= 599 ? status : 500, delayMs };
  }

  const toolTurns = conversation.messages.filter((message) => message.role === 'tool').length;
  if (directives.has('gullible')) {
    const injected = injectedToolCall(conversation);
    if (injected) return callTools([callTool(conversation, injected, toolTurns)], delayMs);
  }
  const loopTool = directives.get('loop');
  if (loopTool) return callTools([callTool(conversation, loopTool, toolTurns)], delayMs);

  const script = (directives.get('tools') ?? '').split(',').filter((name) => name !== '');
  const called = conversation.messages.flatMap((message) => (message.role === 'assistant' ? message.toolCalls : []));
  const next = script[called.filter((name) => script.includes(name)).length];
  if (next !== undefined) return callTools([callTool(conversation, next, toolTurns)], delayMs);
  return answer(conversation, directives, delayMs, script);
}

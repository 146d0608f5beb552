// A local model server on 127.0.0.1 speaking OpenAI Chat Completions and Anthropic Messages, answering from the
// deterministic rules in rules.ts, checking API keys, and recording every request (dev only). Routes:
// POST /v1/chat/completions · POST /v1/messages · GET /health · GET /_recorded · DELETE /_recorded (also resets "once").
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { AnthropicRequest, renderAnthropicError, renderMessage, toConversation as fromAnthropic } from './anthropic-protocol';
import type { Conversation, Protocol } from './conversation';
import { OpenAiRequest, renderCompletion, renderOpenAiError, toConversation as fromOpenAi } from './openai-protocol';
import { createRecorder, type AuthOutcome, type RecordedRequest } from './recorder';
import { conversationKey, decideReply } from './rules';
import { formatZodIssues } from '../../src/common/zod-issues';

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';

/** The key the local stack hands to demo workflows when none is configured; it opens only this dev server. */
export const DEV_MODEL_SERVER_KEY = 'sk-steward-local';

export interface ModelServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Keys a client must present (`Authorization: Bearer`, or `x-api-key` on the Anthropic route). */
  apiKeys: readonly string[];
}

export interface ModelServer {
  /** The server root, e.g. http://127.0.0.1:8089; Anthropic clients use it as is. */
  baseUrl: string;
  /** `${baseUrl}/v1`, the base URL OpenAI-compatible clients expect. */
  openaiBaseUrl: string;
  port: number;
  stop(): Promise<void>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function checkKey(presented: string | undefined, accepted: readonly Buffer[]): AuthOutcome {
  if (presented === undefined || presented === '') return 'missing';
  const candidate = digest(presented);
  // Compare against every key in constant time so timing reveals neither which key nor how much of one matched.
  let valid = false;
  for (const key of accepted) valid = timingSafeEqual(candidate, key) || valid;
  return valid ? 'valid' : 'invalid';
}

/** OpenAI clients send `Authorization: Bearer`; Anthropic's take `x-api-key`, and its SDK since 1.x sends Bearer too. */
function presentedKey(request: IncomingMessage, protocol: Protocol): string | undefined {
  const apiKeyHeader = request.headers['x-api-key'];
  if (protocol === 'anthropic' && apiKeyHeader) return Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1]?.trim();
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'request body is not valid JSON');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Waits, unless the client goes away first; resolves false then. */
function waitUnlessClosed(ms: number, response: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once('close', onClose);
  });
}

function describeIssues(error: z.ZodError): string {
  // Paths and zod's own wording only: request contents (prompts) never appear in an error.
  return formatZodIssues(error, { root: '(body)', max: 5 });
}

function parseConversation(protocol: Protocol, body: unknown): Conversation {
  const parsed = protocol === 'openai' ? OpenAiRequest.safeParse(body) : AnthropicRequest.safeParse(body);
  if (!parsed.success) throw new HttpProblem(400, `invalid request: ${describeIssues(parsed.error)}`);
  if (parsed.data.stream) throw new HttpProblem(400, 'streaming is not supported by the local model server');
  return protocol === 'openai' ? fromOpenAi(parsed.data as OpenAiRequest) : fromAnthropic(parsed.data as AnthropicRequest);
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  if (options.apiKeys.length === 0 || options.apiKeys.some((key) => key === '')) {
    throw new TypeError('startModelServer needs at least one non-empty API key');
  }
  const acceptedKeys = options.apiKeys.map(digest);
  const recorder = createRecorder();
  const requestCounts = new Map<string, number>();

  async function answerModelRequest(protocol: Protocol, request: IncomingMessage, response: ServerResponse, entry: RecordedRequest) {
    const renderError = protocol === 'openai' ? renderOpenAiError : renderAnthropicError;
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      sendJson(response, status, renderError(status, message), headers);
      recorder.finish(entry, { status });
    };
    try {
      entry.body = await readJsonBody(request);
      entry.auth = checkKey(presentedKey(request, protocol), acceptedKeys);
      if (entry.auth !== 'valid') {
        return fail(401, entry.auth === 'missing' ? 'no API key was provided' : 'the API key provided is not valid');
      }
      if (protocol === 'anthropic' && !request.headers['anthropic-version']) {
        return fail(400, 'the anthropic-version header is required');
      }
      const conversation = parseConversation(protocol, entry.body);
      const key = conversationKey(conversation);
      const requestNumber = (requestCounts.get(key) ?? 0) + 1;
      requestCounts.set(key, requestNumber);
      const reply = decideReply(conversation, requestNumber);
      if (!(await waitUnlessClosed(reply.delayMs, response))) return;
      if (reply.kind === 'error') {
        const headers: Record<string, string> = reply.retryAfterSeconds !== undefined ? { 'retry-after': String(reply.retryAfterSeconds) } : {};
        return fail(reply.status, reply.status === 429 ? 'rate limit reached, retry later' : 'the server had an error, retry later', headers);
      }
      const body = protocol === 'openai' ? renderCompletion(conversation, reply, entry.seq) : renderMessage(conversation, reply, entry.seq);
      sendJson(response, 200, body);
      recorder.finish(entry, { status: 200 });
    } catch (error) {
      if (error instanceof HttpProblem) return fail(error.status, error.message);
      return fail(500, 'internal error in the local model server');
    }
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}`);
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /health') return sendJson(response, 200, { ok: true, service: 'steward-model-server' });
    if (route === 'GET /_recorded') return sendJson(response, 200, { requests: recorder.list() });
    if (route === 'DELETE /_recorded') {
      recorder.clear();
      requestCounts.clear();
      return sendJson(response, 200, { cleared: true });
    }
    const protocol: Protocol | undefined =
      route === 'POST /v1/chat/completions' ? 'openai' : route === 'POST /v1/messages' ? 'anthropic' : undefined;
    if (!protocol) return sendJson(response, 404, { error: { message: `no route for ${request.method} ${url.pathname}` } });
    const entry = recorder.start({ method: request.method ?? 'POST', path: url.pathname, protocol });
    response.once('close', () => {
      if (entry.outcome === 'pending') recorder.finish(entry, 'aborted');
    });
    void answerModelRequest(protocol, request, response, entry);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${LOOPBACK}:${port}`;
  return {
    baseUrl,
    openaiBaseUrl: `${baseUrl}/v1`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

// A demo resource server for the expense example: it accepts an expense only with an access token that its
// issuer signed for this API (aud) and that carries `expenses:write`, as a real API behind an OAuth server would.
// It keeps what it accepted, with the token's subject, actor and scope (never the token), at GET /_recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export const EXPENSES_AUDIENCE = 'expenses-api';

export interface ExpensesApiOptions {
  port: number;
  /** The authorization server whose tokens are accepted. */
  issuer: string;
  jwksUrl?: string;
}

export interface AcceptedExpense {
  id: number;
  subject: string;
  /** The agent that acted for the subject (RFC 8693 `act`), when the token was exchanged. */
  actor?: string;
  scope: string;
  idempotency_key?: string;
  expense: unknown;
}

export interface ExpensesApi {
  url: string;
  accepted: AcceptedExpense[];
  /** The bearer tokens it was sent, in this process only (for tests that prove a token leaked nowhere else). */
  seenTokens: string[];
  stop(): Promise<void>;
}

export async function startExpensesApi(options: ExpensesApiOptions): Promise<ExpensesApi> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl ?? `${options.issuer.replace(/\/$/, '')}/jwks`));
  const accepted: AcceptedExpense[] = [];
  const seenTokens: string[] = [];

  const authorize = async (req: IncomingMessage, scope: string): Promise<{ claims: JWTPayload } | { status: number; error: string }> => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return { status: 401, error: 'invalid_token' };
    seenTokens.push(token);
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: EXPENSES_AUDIENCE, algorithms: ['ES256', 'RS256'] });
      const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      return granted.includes(scope) ? { claims: payload } : { status: 403, error: 'insufficient_scope' };
    } catch {
      return { status: 401, error: 'invalid_token' };
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'server_error' }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/health') return send(res, 200, { ok: true });
    if (req.method === 'GET' && path === '/_recorded') return send(res, 200, { accepted });
    if (path !== '/expenses') return send(res, 404, { error: 'not_found' });
    const body = await readBody(req);
    const authorized = await authorize(req, req.method === 'GET' ? 'expenses:read' : 'expenses:write');
    if (!('claims' in authorized)) {
      // RFC 6750 §3: the challenge says why.
      res.setHeader('WWW-Authenticate', `Bearer error="${authorized.error}"`);
      return send(res, authorized.status, { error: authorized.error });
    }
    const payload = authorized.claims;
    if (req.method === 'GET') return send(res, 200, { expenses: accepted.filter((e) => e.subject === payload.sub).map((e) => e.expense) });
    if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed' });
    const key = req.headers['idempotency-key'];
    const repeat = typeof key === 'string' ? accepted.find((e) => e.idempotency_key === key) : undefined;
    if (repeat) return send(res, 200, { id: repeat.id, status: 'submitted', repeated: true });
    const act = payload.act as { sub?: unknown } | undefined;
    const entry: AcceptedExpense = {
      id: accepted.length + 1,
      subject: String(payload.sub),
      ...(typeof act?.sub === 'string' ? { actor: act.sub } : {}),
      scope: String(payload.scope),
      ...(typeof key === 'string' ? { idempotency_key: key } : {}),
      expense: safeJson(body),
    };
    accepted.push(entry);
    return send(res, 201, { id: entry.id, status: 'submitted', submitted_by: entry.subject });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, accepted, seenTokens, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

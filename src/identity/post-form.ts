// One form-encoded POST to an OAuth endpoint, with a timeout, its JSON answer read and its OAuth errors mapped.
// Nothing the request carried (tokens, secrets) can reach an error message: server text is scrubbed before use.
import { z } from 'zod';
import { applyClientAuth, type ClientAuth } from './client-auth';
import { isOAuthErrorCode, OAuthError, type OAuthErrorCode } from './errors';

export const OAUTH_TIMEOUT_MS = 10_000;
const MAX_DESCRIPTION = 200;

export interface FormRequest {
  endpoint: string;
  /** What the endpoint is, for messages: "token exchange", "introspection". */
  purpose: string;
  params: Record<string, string | undefined>;
  clientAuth: ClientAuth;
  timeoutMs?: number | undefined;
  /** Values that must never appear in an error message, whatever the server echoes back. */
  sensitive: readonly string[];
  fetch?: typeof fetch | undefined;
}

const OAuthErrorBody = z.object({ error: z.string(), error_description: z.string().optional() });

/** Returns the parsed JSON body of a 200 answer; anything else becomes an `OAuthError`. */
export async function postForm(request: FormRequest): Promise<unknown> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(request.params)) if (value !== undefined) body.set(name, value);
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
  await applyClientAuth(request.clientAuth, request.endpoint, body, headers);

  let response: Response;
  try {
    response = await (request.fetch ?? fetch)(request.endpoint, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? OAUTH_TIMEOUT_MS),
    });
  } catch (cause) {
    const timedOut = (cause as Error | null)?.name === 'TimeoutError';
    throw new OAuthError('network_error', `${request.purpose} at ${describeEndpoint(request.endpoint)} ${timedOut ? 'timed out' : 'is unreachable'}`, { cause });
  }

  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok) {
    if (json === undefined) throw new OAuthError('invalid_response', `${request.purpose} answered ${response.status} without a JSON body`, { status: response.status });
    return json;
  }
  const secret = 'clientSecret' in request.clientAuth ? [request.clientAuth.clientSecret] : [];
  throw toOAuthError({ ...request, sensitive: [...request.sensitive, ...secret] }, response.status, json);
}

function toOAuthError(request: FormRequest, status: number, json: unknown): OAuthError {
  const parsed = OAuthErrorBody.safeParse(json);
  if (!parsed.success) {
    const code: OAuthErrorCode = status >= 500 ? 'server_error' : 'invalid_response';
    return new OAuthError(code, `${request.purpose} failed with HTTP ${status} and no OAuth error body`, { status });
  }
  const known = isOAuthErrorCode(parsed.data.error);
  // A code outside the RFCs is kept in the message (scrubbed) but typed by what the status allows.
  const code: OAuthErrorCode = known ? (parsed.data.error as OAuthErrorCode) : status >= 500 ? 'server_error' : 'invalid_request';
  const description = parsed.data.error_description ? `: ${scrub(parsed.data.error_description, request.sensitive)}` : '';
  const shownCode = known ? code : `${code} (${scrub(parsed.data.error, request.sensitive).slice(0, 40)})`;
  return new OAuthError(code, `${request.purpose} refused: ${shownCode}${description}`, { status });
}

const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** Drops anything token-shaped and any value the request sent, keeps printable ASCII, and caps the length. */
export function scrub(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const value of sensitive) if (value.length >= 8) out = out.split(value).join('[redacted]');
  out = out.replace(JWT_LIKE, '[redacted]').replace(/[^\x20-\x7E]/g, '?');
  return out.length > MAX_DESCRIPTION ? `${out.slice(0, MAX_DESCRIPTION)}…` : out;
}

/** The endpoint without query or credentials, for messages. */
function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

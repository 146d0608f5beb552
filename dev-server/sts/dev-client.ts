// Calls to the local STS's dev endpoints (mint, revoke), for the CLI, tests and demos.
import { z } from 'zod';
import { MINT_PATH, REVOKE_PATH } from './dev-endpoints';

export const DEV_CLIENT_TIMEOUT_MS = 5_000;

/** The STS answered with an error; `status` 400 means the request itself was wrong (unknown user, bad tenant…). */
export class StsRequestError extends Error {
  override readonly name = 'StsRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface MintTokenRequest {
  user: string;
  tenant?: string | undefined;
  ttlSeconds?: number | undefined;
  scopes?: readonly string[] | undefined;
  groups?: readonly string[] | undefined;
  audience?: string | undefined;
}

const MintResponse = z.object({ access_token: z.string().min(1), expires_in: z.number(), scope: z.string() });
const RevokeResponse = z.object({ revoked: z.boolean() });
const ErrorResponse = z.object({ error: z.string(), error_description: z.string().optional() });

export async function mintDevToken(stsUrl: string, request: MintTokenRequest): Promise<{ accessToken: string; expiresIn: number; scope: string }> {
  const body = {
    user: request.user,
    ...(request.tenant !== undefined ? { tenant: request.tenant } : {}),
    ...(request.ttlSeconds !== undefined ? { ttl_seconds: request.ttlSeconds } : {}),
    ...(request.scopes !== undefined ? { scopes: [...request.scopes] } : {}),
    ...(request.groups !== undefined ? { groups: [...request.groups] } : {}),
    ...(request.audience !== undefined ? { audience: request.audience } : {}),
  };
  const answer = MintResponse.parse(await postJson(stsUrl, MINT_PATH, body));
  return { accessToken: answer.access_token, expiresIn: answer.expires_in, scope: answer.scope };
}

/** Returns whether a live token was revoked (false: unknown, expired or already revoked). */
export async function revokeDevToken(stsUrl: string, token: string): Promise<boolean> {
  return RevokeResponse.parse(await postJson(stsUrl, REVOKE_PATH, { token })).revoked;
}

async function postJson(stsUrl: string, path: string, body: unknown): Promise<unknown> {
  const url = `${stsUrl.replace(/\/$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(DEV_CLIENT_TIMEOUT_MS),
    });
  } catch (cause) {
    throw new Error(`the local STS at ${stsUrl} is unreachable (is the stack running?)`, { cause });
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = ErrorResponse.safeParse(json);
    const reason = error.success ? `${error.data.error}${error.data.error_description ? `: ${error.data.error_description}` : ''}` : `HTTP ${response.status}`;
    throw new StsRequestError(`the local STS refused: ${reason}`, response.status);
  }
  return json;
}

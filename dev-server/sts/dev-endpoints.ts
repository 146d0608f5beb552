// Development-only endpoints of the local STS, answered only to loopback callers: mint a user token (what a login
// would give), and revoke one. Used by `steward dev token mint|revoke`, tests and demos.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { TenantId } from '../../src/tenancy/tenant-id';
import { DEFAULT_TENANT, DEMO_USERS, STEWARD_AUDIENCE, USER_CLIENT_ID } from './demo-directory';
import type { IssuedTokenFinder } from './find-issued-token';
import { issueAccessToken } from './issue-access-token';
import { readBody } from './read-body';
import { formatZodIssues } from '../../src/common/zod-issues';

export const MINT_PATH = '/dev/mint';
export const REVOKE_PATH = '/dev/revoke';
export const MAX_TTL_SECONDS = 86_400;

const ScopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'not an OAuth scope token');

export const MintRequest = z.strictObject({
  user: z.string().refine((name) => Object.hasOwn(DEMO_USERS, name), { message: `unknown user; demo users are ${Object.keys(DEMO_USERS).join(', ')}` }),
  tenant: TenantId.optional(),
  ttl_seconds: z.int().min(1).max(MAX_TTL_SECONDS).optional(),
  scopes: z.array(ScopeToken).optional(),
  groups: z.array(z.string().min(1).max(100)).optional(),
  audience: z.string().min(1).max(200).optional(),
});
export type MintRequest = z.infer<typeof MintRequest>;

export const RevokeRequest = z.strictObject({ token: z.string().min(1).max(16_384) });

export interface DevEndpointContext {
  provider: Provider;
  findIssuedToken: IssuedTokenFinder;
  log: (event: Record<string, unknown>) => void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function handleDevRequest(req: IncomingMessage, res: ServerResponse, path: string, context: DevEndpointContext): Promise<void> {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return reply(res, 403, { error: 'access_denied', error_description: 'loopback only' });
  if (req.method !== 'POST') return reply(res, 405, { error: 'invalid_request', error_description: 'use POST' });
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return reply(res, 400, { error: 'invalid_request', error_description: 'the body is not JSON' });
  }
  if (path === MINT_PATH) return mint(res, body, context);
  if (path === REVOKE_PATH) return revoke(res, body, context);
  return reply(res, 404, { error: 'invalid_request', error_description: 'no such dev endpoint' });
}

async function mint(res: ServerResponse, body: unknown, context: DevEndpointContext): Promise<void> {
  const parsed = MintRequest.safeParse(body);
  if (!parsed.success) return reply(res, 400, { error: 'invalid_request', error_description: describe(parsed.error) });
  const request = parsed.data;
  const user = DEMO_USERS[request.user] as (typeof DEMO_USERS)[string];
  const scopes = request.scopes ?? [...user.scopes];
  const tenant = request.tenant ?? DEFAULT_TENANT;
  const issued = await issueAccessToken(context.provider, {
    clientId: USER_CLIENT_ID,
    subject: request.user,
    scopes,
    audience: request.audience ?? STEWARD_AUDIENCE,
    tenant,
    groups: request.groups ?? [...user.groups],
    ttlSeconds: request.ttl_seconds ?? 3_600,
    grantType: 'urn:steward:dev:mint',
  });
  context.log({ event: 'mint', user: request.user, tenant, scopes, jti: issued.jti, expires_in: issued.expiresIn });
  reply(res, 200, { access_token: issued.value, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') });
}

async function revoke(res: ServerResponse, body: unknown, context: DevEndpointContext): Promise<void> {
  const parsed = RevokeRequest.safeParse(body);
  if (!parsed.success) return reply(res, 400, { error: 'invalid_request', error_description: describe(parsed.error) });
  const found = await context.findIssuedToken(parsed.data.token);
  if (found) await found.record.destroy();
  context.log({ event: 'revoke', revoked: found !== undefined, ...(found ? { jti: found.record.jti, user: found.record.accountId } : {}) });
  reply(res, 200, { revoked: found !== undefined });
}

function describe(error: z.ZodError): string {
  return formatZodIssues(error, { root: 'body', max: 1 });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

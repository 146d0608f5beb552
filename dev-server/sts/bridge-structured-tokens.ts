// oidc-provider refuses to introspect or revoke JWT access tokens (they are meant to be self-contained), yet the
// stack needs both. Before those endpoints run, a JWT this STS issued is replaced by its stored id (`jti`);
// anything else is replaced by a value that matches nothing, so a stored id can never be presented directly.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { IssuedTokenFinder } from './find-issued-token';
import { readBody } from './read-body';

export const BRIDGED_PATHS = new Set(['/token/introspection', '/token/revocation']);

/** Rewrites the form body in place; oidc-provider then reads `req.body` instead of the (consumed) stream. */
export async function bridgeStructuredToken(req: IncomingMessage, findIssuedToken: IssuedTokenFinder): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const token = form.get('token');
  if (token !== null) {
    const found = token === '' ? undefined : await findIssuedToken(token);
    form.set('token', found ? found.record.jti : `unknown-${randomUUID()}`);
  }
  (req as IncomingMessage & { body?: string }).body = form.toString();
}

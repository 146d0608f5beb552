// Starts the local STS (an oidc-provider authorization server with token exchange) on loopback, in this process.
// The stack runs it detached through main.ts; tests call startSts directly.
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { bridgeStructuredToken, BRIDGED_PATHS } from './bridge-structured-tokens';
import { createProvider, publicJwksOf } from './create-provider';
import { DEFAULT_EXCHANGE_AUDIENCE } from './demo-directory';
import { handleDevRequest } from './dev-endpoints';
import { createIssuedTokenFinder } from './find-issued-token';
import { loadOrCreateKeys } from './signing-keys';
import { registerTokenExchangeGrant } from './token-exchange-grant';

export const STS_HOST = '127.0.0.1';
export const DEFAULT_STS_PORT = 4444;
/** Exchanged tokens are short-lived: a step gets a fresh one rather than a long-lived delegation. */
export const EXCHANGED_TOKEN_TTL_SECONDS = 300;

export interface StartStsOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to `http://127.0.0.1:<port>`. */
  issuer?: string;
  /** JSON lines of what the STS did (mints, exchanges, revocations, errors) — never a token — appended here. */
  logFile?: string;
  /** Receives the same lines instead (main.ts writes them to stdout, which the stack sends to the STS log). */
  onLogLine?: (line: string) => void;
  /** Where the signing keys live across restarts; without it, keys are new on every start. */
  keysFile?: string;
}

export interface RunningSts {
  issuer: string;
  port: number;
  /** The demo `report-agent`'s private key, for private_key_jwt (development only). */
  agentPrivateJwk: JWK;
  stop(): Promise<void>;
}

export async function startSts(options: StartStsOptions): Promise<RunningSts> {
  const log = createLog(options);
  const keys = await loadOrCreateKeys(options.keysFile);
  let handle: Parameters<typeof createServer>[1] = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = createServer((req, res) => handle?.(req, res));
  const port = await listen(server, options.port);
  const issuer = options.issuer ?? `http://${STS_HOST}:${port}`;

  const provider = createProvider(issuer, keys);
  const findIssuedToken = createIssuedTokenFinder(provider, publicJwksOf(keys));
  registerTokenExchangeGrant(provider, {
    findIssuedToken,
    defaultAudience: DEFAULT_EXCHANGE_AUDIENCE,
    maxTtlSeconds: EXCHANGED_TOKEN_TTL_SECONDS,
    onExchange: (summary) => log({ event: 'exchange', ...summary }),
  });
  // oidc-provider's error messages describe the request, never echo a token, so they are safe to log.
  const logError = (event: string) => (_ctx: unknown, error: Error & { error?: string }) =>
    log({ event, error: error.error ?? error.name, message: error.message });
  provider.on('grant.error', logError('grant.error'));
  provider.on('introspection.error', logError('introspection.error'));
  provider.on('revocation.error', logError('revocation.error'));
  provider.on('server_error', logError('server_error'));
  const callback = provider.callback();

  handle = (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    const route = async () => {
      if (path.startsWith('/dev/')) return handleDevRequest(req, res, path, { provider, findIssuedToken, log });
      if (req.method === 'POST' && BRIDGED_PATHS.has(path)) await bridgeStructuredToken(req, findIssuedToken);
      await callback(req, res);
    };
    route().catch((error: unknown) => {
      log({ event: 'server_error', path, message: (error as Error).message });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'server_error' }));
    });
  };
  log({ event: 'started', issuer });

  return {
    issuer,
    port,
    agentPrivateJwk: keys.agent,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, STS_HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function createLog({ logFile, onLogLine }: StartStsOptions): (event: Record<string, unknown>) => void {
  if (logFile) mkdirSync(dirname(logFile), { recursive: true });
  return (event) => {
    const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n';
    if (logFile) appendFileSync(logFile, line);
    onLogLine?.(line);
  };
}

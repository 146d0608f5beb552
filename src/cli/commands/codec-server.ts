// `steward codec-server`: serves Temporal's remote codec protocol for the Web UI and the Temporal CLI until
// SIGINT/SIGTERM.
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createCodecServer } from '../../servers/codec-server';
import { UsageError } from '../errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** The Web UI's origin, with its 127.0.0.1/localhost twin when it is on loopback (a browser may use either). */
export function defaultCorsOrigins(uiUrl: string): string[] {
  const ui = new URL(uiUrl);
  const twin = { '127.0.0.1': 'localhost', localhost: '127.0.0.1' }[ui.hostname];
  if (twin === undefined) return [ui.origin];
  const other = new URL(ui.origin);
  other.hostname = twin;
  return [ui.origin, other.origin];
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("serve Temporal's remote codec protocol (POST /encode, /decode) for the Web UI and the Temporal CLI")
    .option('--port <port>', 'port to listen on (default: STEWARD_CODEC_PORT, 4040)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--cors-origin <origins...>', "browser origins allowed to call it (default: the Temporal Web UI's)")
    .option('--dev-no-auth', 'development mode: requests without a token, from loopback only, see PII masked')
    .action(async (options: { port?: string; host: string; corsOrigin?: string[]; devNoAuth?: boolean }) => {
      const config = loadRuntimeConfig();
      const port = options.port === undefined ? config.env.STEWARD_CODEC_PORT : Number(options.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port: a port number from 1 to 65535');
      if (options.devNoAuth && !LOOPBACK_HOSTS.has(options.host)) throw new UsageError('--dev-no-auth: only with a loopback --host (127.0.0.1, ::1 or localhost)');
      const corsOrigins = options.corsOrigin ?? defaultCorsOrigins(config.uiUrl);
      const app = createCodecServer({ config, corsOrigins, devNoAuth: options.devNoAuth ?? false });
      // A refusal to start (the database role) must not leave the pool holding the process open.
      await app.listen({ port, host: options.host }).catch(async (error: unknown) => {
        await app.close();
        throw error;
      });
      const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
      process.stderr.write(`steward codec-server: listening on ${url} (CORS: ${corsOrigins.join(', ')})\n`);
      if (options.devNoAuth) {
        process.stderr.write(
          'steward codec-server: DEVELOPMENT MODE — requests without a token are accepted from loopback only and see PII masked; ' +
            `tokens are still verified, and only a token with pii:read sees real values. Never use this mode on a shared host.\n`,
        );
      }
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await app.close();
    });
}

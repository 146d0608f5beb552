// `steward dev token mint|revoke`: user tokens from the local STS, for tests and demos. The STS address comes
// from STEWARD_STS_URL, else the running dev stack. Tokens go to stdout only; no message ever repeats one.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadStewardEnv } from '../../src/config/env';
import { readStackFile } from '../../src/config/stack-file';
import { parseDuration } from '../../src/ir/duration';
import { UsageError } from '../../src/cli/errors';
import { mintDevToken, revokeDevToken, StsRequestError } from '../sts/dev-client';

export const DEFAULT_STS_URL = 'http://127.0.0.1:4444';

interface MintOptions {
  user: string;
  tenant?: string;
  ttl?: string;
  scopes?: string[];
  groups?: string[];
  audience?: string;
}

export function registerTokenCommands(devCommand: Command): void {
  const token = devCommand.command('token').description('mint and revoke user tokens at the local STS (development only)');

  token
    .command('mint')
    .description('print a signed user access token (JWT) for a demo user')
    .requiredOption('--user <name>', 'demo user: alice, bob or carol')
    .option('--tenant <id>', 'the tenant claim (default: demo)')
    .option('--ttl <duration>', 'lifetime, e.g. 60s, 15m, 1h (default: 1h)')
    .option('--scopes <scopes...>', "scopes instead of the user's own (comma- or space-separated; '' for none)")
    .option('--groups <groups...>', "groups instead of the user's own (comma- or space-separated; '' for none)")
    .option('--audience <aud>', 'the aud claim (default: steward)')
    .action(async (options: MintOptions) => {
      const minted = await withUsageErrors(() =>
        mintDevToken(stsUrl(), {
          user: options.user,
          tenant: options.tenant,
          ttlSeconds: options.ttl === undefined ? undefined : parseTtl(options.ttl),
          scopes: options.scopes === undefined ? undefined : splitList(options.scopes),
          groups: options.groups === undefined ? undefined : splitList(options.groups),
          audience: options.audience,
        }),
      );
      process.stdout.write(`${minted.accessToken}\n`);
    });

  token
    .command('revoke')
    .description('revoke a token minted or exchanged by the local STS')
    .argument('<token>', "the token, or '-' to read it from stdin")
    .action(async (value: string) => {
      const text = (value === '-' ? readFileSync(0, 'utf8') : value).trim();
      if (text === '') throw new UsageError('TOKEN: empty');
      const revoked = await withUsageErrors(() => revokeDevToken(stsUrl(), text));
      process.stdout.write(revoked ? 'revoked\n' : 'not active (unknown, expired or already revoked)\n');
    });
}

/** STEWARD_STS_URL, else the running local stack's STS, else the default port. */
function stsUrl(): string {
  const url = process.env.STEWARD_STS_URL?.trim() || readStackFile(loadStewardEnv().STEWARD_STATE_DIR)?.services.sts?.url || DEFAULT_STS_URL;
  if (!URL.canParse(url)) throw new UsageError(`STEWARD_STS_URL: not a URL`);
  return url;
}

function parseTtl(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new UsageError(`--ttl: not a duration (use e.g. 60s, 15m, 1h)`);
  }
  if (ms < 1_000) throw new UsageError('--ttl: at least 1s');
  return Math.ceil(ms / 1_000);
}

function splitList(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(/[\s,]+/)).filter((item) => item !== '');
}

/** The STS refusing the request itself (unknown user, bad tenant) is bad input: exit 2, not 1. */
async function withUsageErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StsRequestError && error.status === 400) throw new UsageError(error.message);
    throw error;
  }
}

// `steward pii scan|redact|erase|purge-expired`: the PII engine over JSONL (`{"text": …}` in, one result line out per
// line in), and the PII vault's erasure and purge.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Pool } from 'pg';
import { z } from 'zod';
import { recordAuditEvent } from '../../audit/audit-log';
import { loadTenantPiiHmacKey } from '../../codec/keys/pii-master-key';
import { erasePii, purgeExpiredPii } from '../../codec/pii-vault/pii-vault';
import { subjectKeyVaultsFor } from '../../codec/pii-vault/subject-key-vault';
import { loadRuntimeConfig, type RuntimeConfig } from '../../config/runtime';
import { openAppPool } from '../../db/app-role';
import { detectPii } from '../../pii/detect';
import { redactText, type SyncRedactionMode } from '../../pii/redact';
import { assertTenantId } from '../../tenancy/tenant-id';
import { findTenant, listTenants, tenantNotFound } from '../../tenancy/tenant-registry';
import { UsageError } from '../errors';

const InputLine = z.object({ text: z.string() });
const RedactMode = z.enum(['mask', 'hash', 'remove']);
const HMAC_KEY_ENV = 'STEWARD_PII_HMAC_KEY';
const MIN_KEY_BYTES = 16;

/** Reads `hex:…`, `base64:…` or a plain string (its UTF-8 bytes) from STEWARD_PII_HMAC_KEY. */
export function readHmacKey(env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const raw = env[HMAC_KEY_ENV];
  if (raw === undefined || raw === '') throw new UsageError(`${HMAC_KEY_ENV}: required for --mode hash`);
  const key = raw.startsWith('hex:')
    ? Buffer.from(raw.slice(4), 'hex')
    : raw.startsWith('base64:')
      ? Buffer.from(raw.slice(7), 'base64')
      : Buffer.from(raw, 'utf8');
  if (key.length < MIN_KEY_BYTES) throw new UsageError(`${HMAC_KEY_ENV}: must hold at least ${MIN_KEY_BYTES} bytes`);
  return new Uint8Array(key);
}

/** Parses one input line; the reason never quotes the line, which may be PII. */
function parseLine(line: string, lineNumber: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UsageError(`line ${lineNumber}: not valid JSON`);
  }
  const parsed = InputLine.safeParse(value);
  if (!parsed.success) throw new UsageError(`line ${lineNumber}: expected an object with a string "text"`);
  return parsed.data.text;
}

/**
 * Transforms JSONL `lines` one by one, writing each result as it goes so a bad line stops the run
 * after the good lines before it were answered. Blank lines are skipped.
 */
export async function transformJsonl(
  lines: AsyncIterable<string>,
  transform: (text: string) => unknown,
  write: (line: string) => Promise<void>,
): Promise<void> {
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    await write(`${JSON.stringify(transform(parseLine(line, lineNumber)))}\n`);
  }
}

function writeToStdout(line: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(line)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

function stdinLines(): AsyncIterable<string> {
  return createInterface({ input: process.stdin, crlfDelay: Infinity });
}

/** The value to erase: the flag's, or with `--value -` the first line of stdin (kept out of the process list). */
async function readEraseValue(flag: string): Promise<string> {
  let value = flag;
  if (flag === '-') {
    for await (const line of stdinLines()) {
      value = line;
      break;
    }
  }
  if (value === '' || value === '-') throw new UsageError('--value: the value to erase is empty');
  return value;
}

/** Erasure and purge run as the application role, bound to one tenant at a time, like every tenant query. */
async function withAppPool<T>(work: (pool: Pool, config: RuntimeConfig) => Promise<T>): Promise<T> {
  const config = loadRuntimeConfig();
  const pool = await openAppPool(config.appDatabaseUrl, { max: 2 });
  try {
    return await work(pool, config);
  } finally {
    await pool.end();
  }
}

export function registerPiiCommands(program: Command): void {
  const pii = program.command('pii').description('find and redact PII in JSONL text ({"text": …} per line)');
  pii
    .command('scan')
    .description('print {"spans":[{type,start,end}]} for each input line')
    .action(async () => {
      await transformJsonl(stdinLines(), (text) => ({ spans: detectPii(text) }), writeToStdout);
    });
  pii
    .command('redact')
    .description('print {"text": …} with PII redacted for each input line')
    .option('--mode <mode>', 'mask | hash | remove (hash reads its key from STEWARD_PII_HMAC_KEY)', 'mask')
    .action(async (options: { mode: string }) => {
      const mode = RedactMode.safeParse(options.mode);
      if (!mode.success) throw new UsageError('--mode: expected mask, hash or remove');
      const hmacKey = mode.data === 'hash' ? readHmacKey() : undefined;
      const redactMode: SyncRedactionMode = mode.data;
      await transformJsonl(stdinLines(), (text) => ({ text: redactText(text, { mode: redactMode, hmacKey }) }), writeToStdout);
    });
  pii
    .command('erase')
    .description("remove every PII vault entry of a value (a data subject's erasure): its tokens can never be restored again")
    .requiredOption('--tenant <id>', 'the tenant whose vault holds the value')
    .requiredOption('--value <value>', 'the value, in any spelling (`-` reads it from stdin, out of the process list)')
    .option('--json', 'print {"erased": N, "types": [...]}')
    .action(async (options: { tenant: string; value: string; json?: boolean }) => {
      const tenant = assertTenantId(options.tenant);
      const value = await readEraseValue(options.value);
      const erased = await withAppPool(async (pool, config) => {
        if (!(await findTenant(pool, tenant))) throw tenantNotFound(tenant);
        const result = await erasePii(pool, subjectKeyVaultsFor(config).forTenant(tenant), loadTenantPiiHmacKey(config, tenant), value);
        // The trail says that an erasure happened and how much it removed, never what was erased.
        await recordAuditEvent(pool, tenant, { type: 'pii.erased', agentId: 'steward-cli', payload: { entries: result.count, types: result.types } });
        return result;
      });
      process.stdout.write(options.json ? `${JSON.stringify({ erased: erased.count, types: erased.types })}\n` : `erased ${erased.count} vault entr${erased.count === 1 ? 'y' : 'ies'}\n`);
    });
  pii
    .command('purge-expired')
    .description('delete PII vault entries past their retention (workers also do this every 10 minutes; reads never return them)')
    .option('--tenant <id>', 'only this tenant (every tenant when omitted)')
    .action(async (options: { tenant?: string }) => {
      await withAppPool(async (pool, config) => {
        const tenants = options.tenant === undefined ? (await listTenants(pool)).map((tenant) => tenant.id) : [assertTenantId(options.tenant)];
        for (const tenant of tenants) {
          const purged = await purgeExpiredPii(pool, subjectKeyVaultsFor(config).forTenant(tenant));
          if (purged > 0) await recordAuditEvent(pool, tenant, { type: 'pii.purged', agentId: 'steward-cli', payload: { entries: purged } });
          process.stdout.write(`${tenant}\t${purged}\n`);
        }
      });
    });
}

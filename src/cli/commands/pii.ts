// `steward pii scan|redact`: the PII engine over JSONL, `{"text": …}` in, one result line out per line in.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { detectPii } from '../../pii/detect';
import { redactText, type SyncRedactionMode } from '../../pii/redact';
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
}

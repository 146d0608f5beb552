// Reading command-line values: JSON given inline or as @file. Every value has a size limit, checked before the
// whole value is read, so a huge file or device cannot exhaust the process.
import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from './errors';

/** The largest definition file `steward run|validate FILE` reads (the parser's own limit is 1,000,000 characters). */
export const MAX_FILE_ARGUMENT_BYTES = 1_000_000;
/** The largest `--input`, inline or as @file: Temporal refuses payloads past 2 MB, and input is stored in history. */
export const MAX_INPUT_BYTES = 1_000_000;

export function readJsonArgument(flag: string, value: string): unknown {
  const text = value.startsWith('@') ? readFileArgument(flag, value.slice(1), MAX_INPUT_BYTES) : value;
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new UsageError(`${flag}: larger than the limit of ${MAX_INPUT_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads a file given on the command line, refusing one larger than `maxBytes` without reading past the limit. */
export function readFileArgument(flag: string, path: string, maxBytes = MAX_FILE_ARGUMENT_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    // Read one byte past the limit: that tells a file over it without trusting its reported size (pipes, devices).
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw new UsageError(`${flag}: ${path} is larger than the limit of ${maxBytes} bytes`);
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
}

// Reading command-line values: JSON given inline or as @file.
import { readFileSync } from 'node:fs';
import { UsageError } from './errors';

export function readJsonArgument(flag: string, value: string): unknown {
  const text = value.startsWith('@') ? readFileArgument(flag, value.slice(1)) : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: not valid JSON (${(error as Error).message})`);
  }
}

export function readFileArgument(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

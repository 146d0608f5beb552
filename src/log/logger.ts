// The structured logger of the worker and the CLI: JSON lines on stderr, so stdout stays for command output.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.STEWARD_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination(2));
}

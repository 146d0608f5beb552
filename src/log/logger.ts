// The structured logger of the worker and the CLI: JSON lines on stderr (stdout stays for command output),
// with PII masked in every field and message before a line is written.
import pino, { type Logger } from 'pino';
import { redactLogFields, redactLogMessage } from './redact-log';

export type { Logger };

export function createLogger(name: string, level = process.env.STEWARD_LOG_LEVEL ?? 'info', destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      // Errors are serialised (and redacted) by the formatter below; pino's own serializer would undo that.
      serializers: { err: (value: unknown) => value },
      formatters: { log: (fields) => redactLogFields(fields) },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactLogMessage(arg) : arg));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

// Makes a recorded history safe to commit: bearer tokens in payloads, worker identities (pid@host) and failure
// stack traces (absolute paths) are replaced. None of them is read on replay, so the history replays the same.
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const JSON_PLAIN = Buffer.from('json/plain').toString('base64');

export const REDACTED_TOKEN = '<redacted token>';
export const RECORDER_IDENTITY = 'steward-recorder';

/** Takes a history in Temporal's JSON form (as `historyToJSON` gives it) and returns it sanitized. */
export function sanitizeHistory(history: unknown): unknown {
  return sanitize(history);
}

/** Refuses a sanitized history that still holds a token or a path of this machine, payloads included. */
export function assertShareable(name: string, history: unknown, machinePaths: string[]): void {
  const text = JSON.stringify(decodePayloads(history));
  if (new RegExp(JWT.source).test(text)) throw new Error(`history ${name} still holds a bearer token`);
  const path = machinePaths.find((p) => text.includes(p));
  if (path) throw new Error(`history ${name} still holds the local path ${path}`);
}

function decodePayloads(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodePayloads);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (isJsonPayload(object)) return decodeJson(object.data);
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, decodePayloads(inner)]));
}

function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (typeof value === 'string') return value.replace(JWT, REDACTED_TOKEN);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (isJsonPayload(object)) return { ...object, data: encodeJson(sanitize(decodeJson(object.data))) };
  return Object.fromEntries(
    Object.entries(object).map(([key, inner]) => {
      if (key === 'identity' && typeof inner === 'string') return [key, RECORDER_IDENTITY];
      // a failure's own stack trace, and the one inside its encoded attributes
      if ((key === 'stackTrace' || key === 'stack_trace') && typeof inner === 'string') return [key, ''];
      return [key, sanitize(inner)];
    }),
  );
}

function isJsonPayload(object: Record<string, unknown>): object is { metadata: { encoding: string }; data: string } {
  const metadata = object.metadata as { encoding?: unknown } | undefined;
  return typeof object.data === 'string' && metadata?.encoding === JSON_PLAIN;
}

function decodeJson(data: string): unknown {
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

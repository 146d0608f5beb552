// What the codec server answers when it does not serve a request: a fixed message for each cause, naming the field
// or the limit, never an error's own text (that can name the Vault address, a Transit key or a key id). The error
// itself goes to the server's log.
import { PayloadTooLargeError } from '../codec/encryption-codec';
import { TooManyPiiValuesError } from '../codec/pii-codec';
import { isStewardError, type ErrorCode } from '../errors';

export type RefusalStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500 | 503;
export type CodecOperation = 'encode' | 'decode';

/** A request the server will not serve: `reason` is all the caller learns; `cause` is for the log only. */
export class Refusal extends Error {
  constructor(
    readonly status: RefusalStatus,
    readonly reason: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(reason, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** When to try again (the Retry-After header of a 429 or 503 for a busy server). */
  readonly retryAfterSeconds: number | undefined;
}

/** The answer to the 403 for a namespace of another tenant and for one that nobody has: the same, so a token
 *  cannot tell which namespaces exist. */
export const NAMESPACE_NOT_PERMITTED = 'namespace not permitted for this token';

const KEY_SERVICE_UNAVAILABLE: [RefusalStatus, string] = [503, 'the key service is unavailable'];

const DECODE_FAILURES: Partial<Record<ErrorCode, [RefusalStatus, string]>> = {
  INPUT_INVALID: [400, 'payload does not authenticate'],
  NOT_FOUND: [400, 'payload is sealed with a key this namespace does not have'],
  // The PII codec refuses a token list that does not verify: bytes the caller sent, like an altered seal.
  TOKENIZER_FAILED: [400, 'the PII tokens of a payload do not verify'],
  SECRET_BACKEND_UNAVAILABLE: KEY_SERVICE_UNAVAILABLE,
  SECRET_AUTH_FAILED: KEY_SERVICE_UNAVAILABLE,
};

const ENCODE_FAILURES: Partial<Record<ErrorCode, [RefusalStatus, string]>> = {
  TOKENIZER_FAILED: [500, 'the PII of a payload could not be tokenized'],
  SECRET_BACKEND_UNAVAILABLE: KEY_SERVICE_UNAVAILABLE,
  SECRET_AUTH_FAILED: KEY_SERVICE_UNAVAILABLE,
};

/** The refusal for an error the codec chain threw while encoding or decoding a request's payloads. */
export function refusalOfCodecError(error: unknown, operation: CodecOperation): Refusal {
  if (error instanceof PayloadTooLargeError) {
    const reason =
      error.per === 'payload'
        ? `a payload exceeds the limit of ${error.limitBytes} bytes per payload`
        : `payloads exceed the limit of ${error.limitBytes} bytes per request`;
    return new Refusal(413, reason, { cause: error });
  }
  if (error instanceof TooManyPiiValuesError) {
    return new Refusal(413, `payloads hold more than ${error.limit} distinct PII values, the limit per request`, { cause: error });
  }
  if (isStewardError(error)) {
    const known = (operation === 'decode' ? DECODE_FAILURES : ENCODE_FAILURES)[error.code];
    const [status, reason] = known ?? [500, `the payloads could not be ${operation}d`];
    return new Refusal(status, reason, { cause: error });
  }
  // Not one of Steward's errors: most likely bytes the caller made up (a payload that was never encrypted reaches
  // the PII codec as sent). The log keeps the detail in case it was not.
  return new Refusal(400, 'payload is malformed', { cause: error });
}

/** The refusal for an error Fastify raised before the handler ran (the body), or anything the handler did not expect. */
export function refusalOfRequestError(error: unknown, bodyLimit: number): Refusal {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Refusal(413, `body: exceeds the limit of ${bodyLimit} bytes`, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Refusal(415, 'Content-Type: must be application/json', { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new Refusal(400, 'body: not valid JSON', { cause: error });
  }
  const clientError = typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
  return clientError ? new Refusal(400, 'request is malformed', { cause: error }) : new Refusal(500, 'internal error', { cause: error });
}

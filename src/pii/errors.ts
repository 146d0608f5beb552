// The one error type of the PII engine. Messages name what was wrong and where, never the PII itself.

export type PiiErrorCode =
  | 'INVALID_CUSTOM_DETECTOR'
  | 'INVALID_PII_FIELD_PATH'
  | 'TOKENIZER_REQUIRED'
  | 'TOKENIZER_FAILED'
  | 'MISSING_HMAC_KEY';

export class PiiError extends Error {
  override readonly name = 'PiiError';

  constructor(
    readonly code: PiiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

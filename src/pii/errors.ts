// The PII engine's errors: a StewardError narrowed to the engine's codes, so callers that map codes to
// retryable / non-retryable see them like any other. Messages name what was wrong and where, never the PII.
import { StewardError, type ErrorCode } from '../errors';

export type PiiErrorCode = Extract<
  ErrorCode,
  'INVALID_CUSTOM_DETECTOR' | 'INVALID_PII_FIELD_PATH' | 'TOKENIZER_REQUIRED' | 'TOKENIZER_FAILED' | 'MISSING_HMAC_KEY'
>;

export class PiiError extends StewardError {
  declare readonly code: PiiErrorCode;

  constructor(code: PiiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// The one error base of Steward: a stable `code`, a message that says what and where, and an optional cause.
// Messages never carry secret values or PII; callers put identifiers (field paths, names), not data, in them.

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'DEFINITION_INVALID',
  'DEFINITION_CONFLICT',
  'DEFINITION_NOT_FOUND',
  'EXPRESSION_ERROR',
  'TENANT_INVALID',
  'TENANT_NOT_FOUND',
  'TENANT_SUSPENDED',
  'TENANT_HAS_OPEN_RUNS',
  'NOT_FOUND',
  'STACK_UNAVAILABLE',
  'DEPENDENCY_UNAVAILABLE',
  'LIMIT_EXCEEDED',
  'OAUTH_ERROR',
  'TOKEN_INVALID',
  'SECRET_NOT_FOUND',
  'SECRET_DENIED',
  'SECRET_AUTH_FAILED',
  'SECRET_BACKEND_UNAVAILABLE',
  'LLM_PROVIDER_ERROR',
  'LLM_TIMEOUT',
  'LLM_CANCELLED',
  'BUDGET_EXCEEDED',
  'OUTPUT_INVALID',
  'INPUT_BLOCKED',
  'INVALID_CUSTOM_DETECTOR',
  'INVALID_PII_FIELD_PATH',
  'TOKENIZER_REQUIRED',
  'TOKENIZER_FAILED',
  'MISSING_HMAC_KEY',
  'EGRESS_DENIED',
  'PII_IN_WORKFLOW_ID',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that describe bad input: retrying cannot help, and the CLI exits 2 for them. */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set([
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'DEFINITION_INVALID',
  'DEFINITION_CONFLICT',
  'TENANT_INVALID',
  'TENANT_NOT_FOUND',
  'PII_IN_WORKFLOW_ID',
]);

export class StewardError extends Error {
  // Each subclass reports its own class (`LlmError`, `OAuthError`): that name is what stack traces, logs and
  // Temporal's failure type show for an error not mapped to its code.
  override readonly name: string = this.constructor.name;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStewardError(error: unknown, code?: ErrorCode): error is StewardError {
  return error instanceof StewardError && (code === undefined || error.code === code);
}

// CLI exit codes (0 ok, 1 failure, 2 bad usage or bad input) and how errors are shown.
import { INPUT_ERROR_CODES, isStewardError } from '../errors';
import { TokenInvalidError } from '../identity/errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** Bad input detected by the CLI itself (a flag or file), reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_BAD_INPUT;
  if (isStewardError(error) && INPUT_ERROR_CODES.has(error.code)) return EXIT_BAD_INPUT;
  // A refused user token is bad input, except an identity provider that could not be reached.
  if (error instanceof TokenInvalidError && !error.retryable) return EXIT_BAD_INPUT;
  return EXIT_FAILURE;
}

/** The message to show: unreachable services get a hint instead of a socket error. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unreachable = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED' || /Failed to connect before the deadline/.test(message);
  if (!unreachable) return message;
  return `${message} — a service Steward needs is not reachable: start the local stack with \`steward dev --detach\`, or check DATABASE_URL / TEMPORAL_ADDRESS`;
}

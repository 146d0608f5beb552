// Maps Steward errors to Temporal failures: bad input is non-retryable, anything else is left for Temporal to retry.
import { ApplicationFailure } from '@temporalio/activity';
import { INPUT_ERROR_CODES, isStewardError, type ErrorCode } from '../src/errors';

const NON_RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  ...INPUT_ERROR_CODES,
  'DEFINITION_NOT_FOUND',
  'EXPRESSION_ERROR',
  'NOT_FOUND',
  'LIMIT_EXCEEDED',
  'TENANT_SUSPENDED',
  'SECRET_NOT_FOUND',
  'SECRET_DENIED',
  'BUDGET_EXCEEDED',
  'OUTPUT_INVALID',
  'INPUT_BLOCKED',
  'LLM_CANCELLED',
  'EGRESS_DENIED',
]);

export async function withFailureMapping<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isStewardError(error) && NON_RETRYABLE.has(error.code)) {
      throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true });
    }
    throw error;
  }
}

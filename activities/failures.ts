// Maps Steward errors to Temporal failures typed by their code (the run contract's failure catalogue): bad input is
// non-retryable, anything else is left for Temporal to retry. Only the message travels: a cause may quote the request.
// A run that waits out outages gets a dependency's outage as DEPENDENCY_UNAVAILABLE, which the step's own retry
// does not count: the workflow waits and calls again (see workflows/dependency-wait.ts).
import { ApplicationFailure } from '@temporalio/activity';
import { INPUT_ERROR_CODES, isStewardError, type ErrorCode } from '../src/errors';
import { DEPENDENCY_NAMES, dependencyFaultOf } from '../src/faults/dependency-fault';

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

export interface FailureMappingOptions {
  /** Set by runs that wait out a dependency's outage; runs recorded before that retry it with the step's budget. */
  waitsOutOutages?: boolean | undefined;
}

export async function withFailureMapping<T>(work: () => Promise<T>, options: FailureMappingOptions = {}): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const dependency = options.waitsOutOutages ? dependencyFaultOf(error) : undefined;
    if (dependency) throw dependencyUnavailable(dependency);
    if (isStewardError(error)) throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: NON_RETRYABLE.has(error.code) });
    throw error;
  }
}

/** Non-retryable here because the workflow does the waiting; the cause is left out, as it may quote the request. */
function dependencyUnavailable(dependency: keyof typeof DEPENDENCY_NAMES): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'DEPENDENCY_UNAVAILABLE',
    message: `${DEPENDENCY_NAMES[dependency]} is unavailable`,
    nonRetryable: true,
    details: [{ dependency }],
  });
}

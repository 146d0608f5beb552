// The error for a CEL expression or `{{ }}` template that does not parse, type-check or evaluate.
// Workflow-safe. Messages carry the cause and a column, never the values the expression was evaluated on.
import { StewardError } from '../errors';

export const EXPRESSION_ERROR_REASONS = ['syntax', 'type', 'template', 'evaluation', 'result', 'budget'] as const;
export type ExpressionErrorReason = (typeof EXPRESSION_ERROR_REASONS)[number];

const RUN_TIME_REASONS: ReadonlySet<ExpressionErrorReason> = new Set(['evaluation', 'result', 'budget']);

export class ExpressionError extends StewardError {
  constructor(
    readonly reason: ExpressionErrorReason,
    message: string,
    readonly expression: string,
    options?: { cause?: unknown; field?: string },
  ) {
    // Bad syntax, types or an estimated cost are a definition's fault, found by validation; a failed evaluation
    // depends on the run's data and fails the node evaluating it.
    super(RUN_TIME_REASONS.has(reason) ? 'EXPRESSION_ERROR' : 'DEFINITION_INVALID', message, options);
    this.field = options?.field;
  }

  /** Where inside a rendered value the failing template sits (`body.amount`); the message starts with it. */
  readonly field: string | undefined;
}

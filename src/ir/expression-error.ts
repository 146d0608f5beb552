// The error for a CEL expression or `{{ }}` template that does not parse, type-check or evaluate.
// Workflow-safe. Messages carry the cause and a column, never the values the expression was evaluated on.
import { StewardError } from '../errors';

export const EXPRESSION_ERROR_REASONS = ['syntax', 'type', 'template', 'evaluation', 'result'] as const;
export type ExpressionErrorReason = (typeof EXPRESSION_ERROR_REASONS)[number];

export class ExpressionError extends StewardError {
  constructor(
    readonly reason: ExpressionErrorReason,
    message: string,
    readonly expression: string,
    options?: { cause?: unknown },
  ) {
    // Bad syntax or types are a definition's fault; a failed evaluation depends on the run's data.
    super(reason === 'evaluation' || reason === 'result' ? 'INPUT_INVALID' : 'DEFINITION_INVALID', message, options);
  }
}

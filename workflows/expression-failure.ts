// Turns an expression that fails at run time (a missing key, a bad result, a spent budget) into a failure of the
// node evaluating it: typed EXPRESSION_ERROR, naming node, field and expression but never the data, so `on_error`
// can route it and an unrouted one fails the run. Before this, the error failed the workflow task, retried forever.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { ExpressionError } from '../src/ir/expressions';

export const EXPRESSION_FAILURE_PATCH = 'expression-error-fails-node';

/** Expressions are quoted in the message up to this length; the whole source stays in the failure's details. */
const QUOTED_EXPRESSION_CHARS = 200;

export interface ExpressionFailureDetails {
  node: string;
  /** The node field, down to the value inside it for templates (e.g. `input.body.amount`). */
  field: string;
  expression: string;
  reason: string;
}

/** Runs `evaluate`, the evaluation of `nodes.<id>.<field>`, failing the node when an expression in it fails. */
export function evaluateField<T>(id: string, field: string, evaluate: () => T): T {
  try {
    return evaluate();
  } catch (error) {
    // Runs recorded before this change replay their workflow-task failure unchanged.
    if (!(error instanceof ExpressionError) || !patched(EXPRESSION_FAILURE_PATCH)) throw error;
    throw createExpressionFailure(id, field, error);
  }
}

function createExpressionFailure(id: string, field: string, error: ExpressionError): ApplicationFailure {
  // A template's error already names the place inside the field (`body.amount: ...`).
  const inside = error.field;
  const place = inside === undefined ? field : `${field}${inside.startsWith('[') ? '' : '.'}${inside}`;
  const reason = inside === undefined ? error.message : error.message.slice(inside.length + 2);
  const quoted = error.expression.length > QUOTED_EXPRESSION_CHARS ? `${error.expression.slice(0, QUOTED_EXPRESSION_CHARS)}…` : error.expression;
  const details: ExpressionFailureDetails = { node: id, field: place, expression: error.expression, reason: error.reason };
  return ApplicationFailure.create({
    type: 'EXPRESSION_ERROR',
    message: `nodes.${id}.${place}: the expression \`${quoted}\` failed: ${reason}`,
    nonRetryable: true,
    details: [details],
  });
}

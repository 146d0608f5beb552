// Bounded CEL cost: validation refuses expressions whose estimate is too high, naming the field, and evaluation
// stops at a budget with a typed error instead of stalling the worker.
import { compileExpression, evaluateExpression, ExpressionError } from '../../src/ir/expressions';
import { MAX_ESTIMATED_COST } from '../../src/ir/expression-cost';
import { validateDefinition } from '../../src/ir/validate';
import { createRawDefinition } from '../support/definitions';

const LIST_30 = `[${Array.from({ length: 30 }, (_, index) => index).join(', ')}]`;
// The attack: five nested maps over a 30-element list, 24 million iterations.
const FIVE_NESTED = `${LIST_30}.map(a, ${LIST_30}.map(b, ${LIST_30}.map(c, ${LIST_30}.map(d, ${LIST_30}.map(e, a + b + c + d + e)))))`;

function listIssues(raw: unknown): string[] {
  const result = validateDefinition(raw);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('validation-time estimate', () => {
  it('refuses the five nested maps over a 30-element list, naming the field', () => {
    const issues = listIssues(createRawDefinition({ done: { type: 'end', output: FIVE_NESTED } }, { start: 'done' }));
    expect(issues).toEqual([expect.stringMatching(/^nodes\.done\.output: expression is too costly to evaluate: its estimated cost \(\d\.\de\+\d+\) passes the limit \(100000000\)/)]);
  });

  it('refuses loops nested three deep over run data, and a template hiding one', () => {
    const triple = 'input.items.map(a, input.items.map(b, input.items.map(c, a + b + c)))';
    const issues = listIssues(
      createRawDefinition(
        {
          calc: { type: 'set', values: { all: triple }, next: 'call' },
          call: { type: 'tool', tool: 'http', request: { method: 'POST', url: 'https://api.example.com', body: { x: `{{ ${triple} }}` } }, next: 'done' },
          done: { type: 'end' },
        },
        { start: 'calc' },
      ),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^nodes\.calc\.values\.all: expression is too costly/),
      expect.stringMatching(/^nodes\.call\.request\.body\.x: template \{\{ input\.items\.map.* \}\} is too costly/),
    ]);
  });

  it('refuses a value that doubles in size at every step', () => {
    let expression = 'size(v30)';
    for (let index = 30; index > 0; index -= 1) expression = `cel.bind(v${index}, ${index === 1 ? 'input.text + input.text' : `v${index - 1} + v${index - 1}`}, ${expression})`;
    expect(compileExpression(expression).estimatedCost).toBeGreaterThan(MAX_ESTIMATED_COST);
  });

  it('accepts everyday expressions and loops two deep over data', () => {
    for (const expression of [
      'input.amount * 2 > 10000',
      "{'status': nodes.call.output.status, 'items': input.items.filter(i, i.price > 10).map(i, i.name)}",
      "input.items.map(i, i.name).join(', ')",
      'input.items.map(a, input.items.filter(b, b.group == a.group).size())',
      'input.items.exists(i, i.flagged) || input.tags.all(t, t.startsWith("ok"))',
    ]) {
      expect({ expression, cost: compileExpression(expression).estimatedCost }).toEqual({ expression, cost: expect.any(Number) });
      expect(compileExpression(expression).estimatedCost).toBeLessThanOrEqual(MAX_ESTIMATED_COST);
    }
  });
});

describe('run-time budget', () => {
  // The budget error itself shows the evaluation stopped at its budget: unbudgeted, it runs 24 million iterations.
  it('stops the attack at its budget with a typed error, instead of running 24 million iterations', () => {
    let error: unknown;
    try {
      evaluateExpression(FIVE_NESTED, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error).toMatchObject({ code: 'EXPRESSION_ERROR', reason: 'budget', message: 'evaluation exceeded its budget of 1000000 steps and items' });
  });

  it('stops data that makes a two-deep loop too costly, and a budget spent inside exists() is not absorbed', () => {
    const items = Array.from({ length: 3_000 }, (_, index) => index);
    expect(() => evaluateExpression('input.items.map(a, input.items.map(b, a + b))', { input: { items } })).toThrow(/exceeded its budget/);
    expect(() => evaluateExpression('input.items.exists(a, input.items.exists(b, a + b < 0))', { input: { items } })).toThrow(/exceeded its budget/);
  });

  it('charges the length of values, so doubling a string stops long before memory runs out', () => {
    let expression = 'size(v24)';
    for (let index = 24; index > 0; index -= 1) expression = `cel.bind(v${index}, ${index === 1 ? 'input.text + input.text' : `v${index - 1} + v${index - 1}`}, ${expression})`;
    expect(() => evaluateExpression(expression, { input: { text: 'x'.repeat(100) } })).toThrow(/exceeded its budget/);
  });

  it('leaves each evaluation its own budget: a large but legitimate loop still runs after a refused one', () => {
    const items = Array.from({ length: 10_000 }, (_, index) => ({ price: index }));
    expect(() => evaluateExpression(FIVE_NESTED, {})).toThrow(/exceeded its budget/);
    expect(evaluateExpression('input.items.filter(i, i.price % 2 == 0).size()', { input: { items } })).toBe(5_000);
  });
});

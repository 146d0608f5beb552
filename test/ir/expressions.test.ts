import { compileExpression, evaluateExpression, ExpressionError, renderTemplate, templateExpressions } from '../../src/ir/expressions';

const scope = {
  input: { amount: 6000, price: 2.5, name: 'Ada', tags: ['a', 'b'], nested: { deep: { value: 7 } } },
  vars: { band: 'big' },
  nodes: { classify: { output: { band: 'small', score: 0.75 } } },
  run: { id: 'run-1', tenant: 'acme', workflow: 'expense', started_at: '2024-01-01T00:00:00Z' },
};

describe('evaluateExpression', () => {
  it('multiplies an integral JSON number by an int literal and compares it', () => {
    expect(evaluateExpression('input.amount * 2 > 10000', scope)).toBe(true);
    expect(evaluateExpression('input.amount * 2 > 10000', { input: { amount: 4000 } })).toBe(false);
  });

  it('keeps doubles working, alone and mixed with ints', () => {
    expect(evaluateExpression('input.amount * 1.5', scope)).toBe(9000);
    expect(evaluateExpression('input.price * 2', scope)).toBe(5);
    expect(evaluateExpression('input.price + input.amount', scope)).toBe(6002.5);
    expect(evaluateExpression('input.price > 2', scope)).toBe(true);
    expect(evaluateExpression('nodes.classify.output.score / 3', scope)).toBe(0.25);
  });

  it('returns CEL ints as JSON numbers, never BigInt', () => {
    const result = evaluateExpression('input.amount + 1', scope);
    expect(result).toBe(6001);
    expect(typeof result).toBe('number');
    expect(evaluateExpression('[1, 2, input.amount]', scope)).toEqual([1, 2, 6000]);
  });

  it('refuses results beyond the safe-integer range instead of losing precision', () => {
    expect(() => evaluateExpression('9007199254740991 + 1', scope)).toThrow(/outside ±\(2\^53 - 1\)/);
    expect(evaluateExpression('9007199254740991', scope)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('handles strings, size, has and string literals', () => {
    expect(evaluateExpression("input.name + ' Lovelace'", scope)).toBe('Ada Lovelace');
    expect(evaluateExpression('size(input.tags)', scope)).toBe(2);
    expect(evaluateExpression('size(input.name)', scope)).toBe(3);
    expect(evaluateExpression('has(input.name)', scope)).toBe(true);
    expect(evaluateExpression('has(input.missing)', scope)).toBe(false);
    expect(evaluateExpression("vars.band == 'big'", scope)).toBe(true);
    expect(evaluateExpression("input.tags.exists(t, t == 'b')", scope)).toBe(true);
  });

  it('builds mixed-type map literals and reads nested outputs', () => {
    expect(evaluateExpression("{'band': vars.band, 'n': 3, 'ok': true}", scope)).toEqual({ band: 'big', n: 3, ok: true });
    expect(evaluateExpression('input.nested.deep.value * 2', scope)).toBe(14);
    expect(evaluateExpression("{'submitted': nodes.classify.output}", scope)).toEqual({ submitted: { band: 'small', score: 0.75 } });
  });

  it('returns timestamps as ISO text and durations as CEL text', () => {
    expect(evaluateExpression("timestamp(run.started_at) + duration('1h')", scope)).toBe('2024-01-01T01:00:00.000Z');
    expect(evaluateExpression("duration('5m')", scope)).toBe('300s');
  });

  it('reports a missing key as an evaluation error', () => {
    expect.assertions(3);
    try {
      evaluateExpression('input.nope > 1', scope);
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).reason).toBe('evaluation');
      expect((error as ExpressionError).code).toBe('EXPRESSION_ERROR');
    }
  });

  it('refuses secrets outside activities', () => {
    expect(() => evaluateExpression('secrets.openai', scope)).toThrow(/only available inside activities/);
    expect(evaluateExpression('secrets.openai', { ...scope, secrets: { openai: 'k' } })).toBe('k');
  });
});

describe('compileExpression', () => {
  it('throws a syntax error with the column', () => {
    expect.assertions(3);
    try {
      compileExpression('input.amount >');
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).reason).toBe('syntax');
      expect((error as ExpressionError).message).toMatch(/does not parse: .*column/);
    }
  });

  it('throws a type error for unknown variables and impossible operations', () => {
    expect(() => compileExpression('inptu.amount > 1')).toThrow(/Unknown variable: inptu/);
    expect(() => compileExpression("'a' + 1")).toThrow(/does not type-check/);
    expect(() => compileExpression('nope(1)')).toThrow(/does not type-check/);
  });

  it('caches compiled programs', () => {
    expect(compileExpression('input.amount + 7')).toBe(compileExpression('input.amount + 7'));
  });

  it('lists the secret names an expression reads', () => {
    expect(compileExpression("secrets.a + secrets['b']").secretNames).toEqual(['a', 'b']);
    expect(compileExpression('secrets[input.k]').readsSecretsDynamically).toBe(true);
    expect(compileExpression('input.a').secretNames).toEqual([]);
  });
});

describe('templates', () => {
  it('yields the raw value for a string that is exactly one template', () => {
    expect(renderTemplate('{{ input.amount }}', scope)).toBe(6000);
    expect(renderTemplate('{{ input.tags }}', scope)).toEqual(['a', 'b']);
    expect(renderTemplate("{{ {'a': {'b': 1}} }}", scope)).toEqual({ a: { b: 1 } });
  });

  it('interpolates as text otherwise, with JSON for non-strings', () => {
    expect(renderTemplate('Hello {{ input.name }}, you owe {{ input.amount }}', scope)).toBe('Hello Ada, you owe 6000');
    expect(renderTemplate('tags={{ input.tags }}', scope)).toBe('tags=["a","b"]');
    expect(renderTemplate(' {{ input.amount }}', scope)).toBe(' 6000');
  });

  it('walks objects and arrays, leaving other values alone', () => {
    const body = { invoice: '{{ input.name }}', list: ['{{ input.amount * 2 }}', 3, null, true], plain: 'no template' };
    expect(renderTemplate(body, scope)).toEqual({ invoice: 'Ada', list: [12000, 3, null, true], plain: 'no template' });
  });

  it('never re-renders data that looks like a template', () => {
    expect(renderTemplate('x {{ input.name }}', { input: { name: '{{ secrets.a }}' }, secrets: { a: 'k' } })).toBe('x {{ secrets.a }}');
  });

  it('names the field of a failing template', () => {
    expect(() => renderTemplate({ body: { amount: '{{ input.nope }}' } }, scope)).toThrow(/^body\.amount: /);
  });

  it('lists the expressions inside {{ }}, skipping braces inside CEL literals', () => {
    expect(templateExpressions('a {{ x.y }} b {{ {"k": "}}"} }}')).toEqual(['x.y', '{"k": "}}"}']);
    expect(templateExpressions('no templates')).toEqual([]);
  });

  it('rejects unclosed and empty templates', () => {
    expect(() => templateExpressions('a {{ x.y')).toThrow(/never closed/);
    expect(() => templateExpressions('a {{ }}')).toThrow(/empty/);
  });
});

test('a runtime evaluation error never quotes the data it was evaluated on', () => {
  const secretKey = 'jane.doe@example.com';
  let caught: unknown;
  try {
    evaluateExpression(`vars.lookup['${'x'}' + vars.key]`, { vars: { lookup: {}, key: secretKey } });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(Error);
  expect(String((caught as Error).message)).not.toContain(secretKey);
  expect((caught as Error).cause).toBeUndefined();
});

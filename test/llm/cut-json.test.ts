// Reading JSON that was cut short: the longest prefix ending a complete value, its open containers closed.
import { parseCutJson } from '../../src/llm/cut-json';

describe('parseCutJson', () => {
  it.each([
    ['inside a string value', '{"a":"x","b":"yy', { a: 'x' }],
    ['after a key', '{"a":"x","b"', { a: 'x' }],
    ['after a colon', '{"a":1,"b":', { a: 1 }],
    ['inside a number, which may be longer', '{"a":1,"b":12', { a: 1 }],
    ['inside a literal', '[true,fal', [true]],
    ['inside a nested array', '{"items":[{"n":1},{"n":2},{"n"', { items: [{ n: 1 }, { n: 2 }, {}] }],
    ['right after an opening bracket', '{"a":[', { a: [] }],
    ['after escaped quotes and brackets in strings', '{"a":"say \\"}]\\" now","b":"c', { a: 'say "}]" now' }],
  ])('keeps what is complete when cut %s', (_where, text, value) => {
    expect(parseCutJson(text)).toEqual({ value });
  });

  it('gives up on text that never opened an array or object', () => {
    expect(parseCutJson('"just a string that was cu')).toBeUndefined();
    expect(parseCutJson('12345')).toBeUndefined();
    expect(parseCutJson('plain text, not JSON')).toBeUndefined();
    expect(parseCutJson('[INFO] started\n[WARN] slow disk')).toBeUndefined();
    expect(parseCutJson('{"a":1} and then some text')).toBeUndefined();
  });

  it('keeps every member of a long document before the cut', () => {
    const text = JSON.stringify({ customers: Array.from({ length: 50 }, (_, index) => ({ id: index, name: 'Jane Doe' })) });
    const { value } = parseCutJson(text.slice(0, text.length / 2))! as { value: { customers: Array<{ id: number }> } };
    expect(value.customers.length).toBeGreaterThan(20);
    expect(value.customers.every((customer, index) => customer.id === index)).toBe(true);
  });
});

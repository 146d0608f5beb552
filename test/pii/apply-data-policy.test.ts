// applyDataPolicy over JSON values: scanning, pii_fields, every mode, no mutation.
import { DataPolicy } from '../../src/pii/policy';
import { applyDataPolicy, applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { createInMemoryTokenizer } from '../../src/pii/in-memory-tokenizer';

const context = { hmacKey: new Uint8Array(32).fill(1) };
const record = {
  customer: { email: 'john@example.com', ssn: 123456789, name: 'John Smith' },
  notes: ['call +1 (415) 555-2671', 'nothing here', 42],
  phones: ['+44 20 7946 0958', '+49 30 901820'],
  active: true,
};

function policy(overrides: Record<string, unknown>): DataPolicy {
  return DataPolicy.parse(overrides);
}

describe('applyDataPolicy', () => {
  it('masks PII found in strings anywhere and whole values at pii_fields, numbers included', () => {
    const out = applyDataPolicySync(record, policy({ pii_fields: ['$.customer.ssn', '$.customer.name'] }), context);
    expect(out).toEqual({
      customer: { email: 'j***@example.com', ssn: '*********', name: '**** *****' },
      notes: ['call +* (***) ***-2671', 'nothing here', 42],
      phones: ['+** ** **** 0958', '+** ** **1820'],
      active: true,
    });
  });

  it('never mutates its input', () => {
    const copy = structuredClone(record);
    applyDataPolicySync(record, policy({ pii_fields: ['$.phones[*]'], redaction_mode: 'remove' }), context);
    expect(record).toEqual(copy);
  });

  it('copies only what it changes: clean parts are shared with the input, keys and order kept', () => {
    const input = { clean: { a: 'x', b: [1, 'y'] }, tags: ['ops', 'billing'], dirty: { first: 'ok', email: 'john@example.com', last: 'ok' } };
    const copy = structuredClone(input);
    const out = applyDataPolicySync(input, policy({}), context) as typeof input;
    expect(out).toEqual({ ...copy, dirty: { first: 'ok', email: 'j***@example.com', last: 'ok' } });
    expect(Object.keys(out.dirty)).toEqual(['first', 'email', 'last']);
    expect(out).not.toBe(input);
    expect(out.dirty).not.toBe(input.dirty);
    expect(out.clean).toBe(input.clean);
    expect(out.tags).toBe(input.tags);
    expect(input).toEqual(copy);
    // a change late in an array or behind a PII key copies the container with everything before it
    const list = ['a', 'b', 'call +1 (415) 555-2671'];
    expect(applyDataPolicySync(list, policy({}), context)).toEqual(['a', 'b', 'call +* (***) ***-2671']);
    const keyed = { plain: 1, 'john@example.com': 'owner' };
    expect(applyDataPolicySync(keyed, policy({}), context)).toEqual({ plain: 1, 'j***@example.com': 'owner' });
    expect(keyed).toEqual({ plain: 1, 'john@example.com': 'owner' });
  });

  it('keeps a `__proto__` key from JSON as an entry of the copy, redacted, never as its prototype', () => {
    const input = JSON.parse('{"a": "john@example.com", "__proto__": {"note": "call +1 (415) 555-2671"}, "z": 1}') as Record<string, unknown>;
    const out = applyDataPolicySync(input, policy({}), context) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['a', '__proto__', 'z']);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"a": "j***@example.com", "__proto__": {"note": "call +* (***) ***-2671"}, "z": 1}'));
  });

  it('remove deletes pii_fields (array elements too) and cuts detected substrings', () => {
    const out = applyDataPolicySync(record, policy({ pii_fields: ['$.phones[0]', '$.customer.ssn'], redaction_mode: 'remove' }), context);
    expect(out).toEqual({
      customer: { email: '', name: 'John Smith' },
      notes: ['call ', 'nothing here', 42],
      phones: [''],
      active: true,
    });
  });

  it('hash replaces each value with a typed keyed marker', () => {
    const out = applyDataPolicySync({ e: 'john@example.com' }, policy({ redaction_mode: 'hash' }), context) as { e: string };
    expect(out.e).toMatch(/^\[email:hmac:[0-9a-f]{16}\]$/);
  });

  it('tokenize goes through the tokenizer and can be reversed', async () => {
    const tokenizer = createInMemoryTokenizer();
    const out = (await applyDataPolicy({ e: 'x john@example.com' }, policy({ redaction_mode: 'tokenize' }), { ...context, tokenizer })) as { e: string };
    const token = out.e.slice(2);
    expect(token).toMatch(/^\[pii:email:tok_/);
    expect(await tokenizer.detokenize(token)).toBe('john@example.com');
  });

  it('tokenize without a tokenizer is a coded error', async () => {
    await expect(applyDataPolicy({}, policy({ redaction_mode: 'tokenize' }), context)).rejects.toMatchObject({ code: 'TOKENIZER_REQUIRED' });
  });

  it('redacts object keys that are PII', () => {
    expect(applyDataPolicySync({ 'john@example.com': 1 }, policy({}), context)).toEqual({ 'j***@example.com': 1 });
  });

  it('handles deep structures', () => {
    let deep: unknown = 'SSN 123-45-6789';
    for (let i = 0; i < 2000; i++) deep = { d: deep };
    let out = applyDataPolicySync(deep, policy({}), context);
    for (let i = 0; i < 2000; i++) out = (out as { d: unknown }).d;
    expect(out).toBe('SSN ***-**-6789');
  });
});

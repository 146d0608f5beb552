// The redaction modes on single strings: mask keeps an allowed part, hash is keyed, remove cuts, tokenize reverses.
import { redactText } from '../../src/pii/redact';
import { maskValue } from '../../src/pii/mask';
import { hashValue } from '../../src/pii/hash';
import { createInMemoryTokenizer } from '../../src/pii/in-memory-tokenizer';

const KEY = new Uint8Array(32).fill(7);

describe('mask', () => {
  it.each([
    ['ssn', '123-45-6789', '***-**-6789'],
    ['credit_card', '4242424242424242', '************4242'],
    ['credit_card', '4242 4242 4242 4242', '**** **** **** 4242'],
    ['email', 'john@example.com', 'j***@example.com'],
    ['phone', '+1 (415) 555-2671', '+* (***) ***-2671'],
    ['iban', 'GB82 WEST 1234 5698 7654 32', 'GB** **** **** **** **54 32'],
    ['ip_address', '192.168.1.10', '192.*.*.*'],
  ])('%s %s → %s', (type, value, masked) => {
    expect(maskValue(type, value)).toBe(masked);
  });
});

describe('redactText', () => {
  const text = 'mail john@example.com, SSN 123-45-6789.';

  it('hash tags the type and never leaves a bare digest', () => {
    expect(redactText(text, { mode: 'hash', hmacKey: KEY })).toMatch(/^mail \[email:hmac:[0-9a-f]{16}\], SSN \[ssn:hmac:[0-9a-f]{16}\]\.$/);
  });

  it('hash treats different spellings of one card alike', () => {
    expect(hashValue('credit_card', '4111 1111 1111 1111', KEY)).toBe(hashValue('credit_card', '4111-1111-1111-1111', KEY));
  });

  it('a marker is not context: a second pass finds nothing the first did not', () => {
    // the hashed card leaves "[credit_card:…]" before a 12-digit Luhn-valid number that no card word announced
    const once = redactText('4111 1111 1111 1111 410870577948 ', { mode: 'hash', hmacKey: KEY });
    expect(once).toMatch(/^\[credit_card:hmac:[0-9a-f]{16}\] 410870577948 $/);
    expect(redactText(once, { mode: 'hash', hmacKey: KEY })).toBe(once);
  });

  it('a number after an international phone is judged in the first pass, not left for the second', () => {
    const once = redactText('+44 20 7946 0958 / 050000000 ', { mode: 'mask' });
    expect(once).toBe('+** ** **** 0958 / ******000 ');
    expect(redactText(once, { mode: 'mask' })).toBe(once);
  });

  it('what a mask uncovers is redacted too: an IBAN inside an address, hidden by the longer address, stands alone once the address is masked', () => {
    expect(redactText('write to x@de89370400440532013000.com today', { mode: 'mask' })).toBe('write to x***@de****************3000.com today');
  });

  it('hash without a key is programmer misuse', () => {
    expect(() => redactText(text, { mode: 'hash' })).toThrow(TypeError);
  });

  it('remove cuts the substring', () => {
    expect(redactText(text, { mode: 'remove' })).toBe('mail , SSN .');
  });
});

describe('in-memory tokenizer', () => {
  it('gives a stable token per value and reverses it', async () => {
    const tokenizer = createInMemoryTokenizer();
    const token = await tokenizer.tokenize('email', 'a@b.co');
    expect(token).toMatch(/^\[pii:email:tok_[A-Za-z0-9_-]+\]$/);
    expect(await tokenizer.tokenize('email', 'a@b.co')).toBe(token);
    expect(await tokenizer.detokenize(token)).toBe('a@b.co');
  });
});

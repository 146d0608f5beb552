// Properties that must hold for every input: bounded reveal, keyed hashing, valid JSON after remove,
// idempotent redaction, and no throwing on arbitrary text.
import fc from 'fast-check';
import { DataPolicy } from '../../src/pii/policy';
import { applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { redactText } from '../../src/pii/redact';
import { maskValue, phoneDigitsKept } from '../../src/pii/mask';
import { hashValue } from '../../src/pii/hash';
import { isLuhnValid } from '../../src/pii/checksums';

const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
// Text built from PII-shaped pieces and noise, so properties meet real detections. Pieces are joined by a
// separator: idempotency is promised for PII set apart from its neighbours, as it is in real text.
const piiText = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('john@example.com', '123-45-6789', '4111 1111 1111 1111', '+44 20 7946 0958', 'GB82 WEST 1234 5698 7654 32', '10.1.2.3', 'fe80::1'),
        fc.string(),
        digits(1, 20),
      ),
      fc.constantFrom(' ', ', ', '\n', '; ', ' / '),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.flat().join(''));

function clearDigits(value: string): string {
  return value.replace(/[^0-9]/g, '');
}

describe('properties', () => {
  it('mask reveals at most the last 4 digits of a card or SSN and the allowed digits of a phone', () => {
    fc.assert(
      fc.property(digits(9, 19), (value) => {
        expect(clearDigits(maskValue('credit_card', value))).toBe(value.slice(-4));
        expect(clearDigits(maskValue('ssn', value))).toBe(value.slice(-4));
        expect(clearDigits(maskValue('phone', value))).toBe(value.slice(-phoneDigitsKept(value.length)));
      }),
    );
  });

  it('mask of an email reveals only its first character and the domain', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const masked = maskValue('email', email);
        expect(masked).toBe(`${email[0]}***${email.slice(email.lastIndexOf('@'))}`);
      }),
    );
  });

  it('hash is stable per key and differs across keys', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        expect(hashValue('ssn', value, KEY_A)).toBe(hashValue('ssn', value, KEY_A));
        expect(hashValue('email', value, KEY_A)).not.toBe(hashValue('email', value, KEY_B));
      }),
    );
  });

  it('remove leaves valid JSON', () => {
    const policy = DataPolicy.parse({ redaction_mode: 'remove', pii_fields: ['$..secret', '$.list[*]'] });
    fc.assert(
      fc.property(fc.jsonValue(), piiText, (json, text) => {
        const value = { secret: json, list: [text], nested: { text, json } };
        const out = applyDataPolicySync(value, policy, { hmacKey: KEY_A });
        const serialized = JSON.stringify(out);
        expect(typeof serialized).toBe('string');
        expect(JSON.stringify(JSON.parse(serialized))).toBe(serialized);
      }),
    );
  });

  it.each(['mask', 'hash', 'remove'] as const)('%s is idempotent, on text and on pii_fields', (mode) => {
    const policy = DataPolicy.parse({ redaction_mode: mode, pii_fields: ['$.field'] });
    fc.assert(
      fc.property(piiText, piiText, (text, field) => {
        const once = redactText(text, { mode, hmacKey: KEY_A });
        expect(redactText(once, { mode, hmacKey: KEY_A })).toBe(once);
        const value = { text, field };
        const first = applyDataPolicySync(value, policy, { hmacKey: KEY_A });
        expect(applyDataPolicySync(first, policy, { hmacKey: KEY_A })).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary strings or JSON', () => {
    const policy = DataPolicy.parse({ pii_fields: ['$..a'] });
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.jsonValue(), (text, json) => {
        redactText(text, { mode: 'mask' });
        applyDataPolicySync({ text, json, a: json }, policy, { hmacKey: KEY_A });
      }),
      { numRuns: 500 },
    );
  });

  it('every detected card passes Luhn', () => {
    fc.assert(
      fc.property(digits(13, 19), (value) => {
        const masked = redactText(`card ${value}`, { mode: 'mask', detectors: ['credit_card'] });
        if (masked !== `card ${value}`) expect(isLuhnValid(value)).toBe(true);
      }),
    );
  });
});

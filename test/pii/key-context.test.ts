// A JSON key is context for its value: values under keys that name a phone, an SSN or a card are judged with it,
// and nothing changes for values under keys that name something else.
import { applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { contextOfKey } from '../../src/pii/key-context';
import { DataPolicy } from '../../src/pii/policy';

const MASK = DataPolicy.parse({ redaction_mode: 'mask' });
const HMAC_KEY = new Uint8Array(32).fill(7);
const redact = (value: unknown) => applyDataPolicySync(value, MASK, { hmacKey: HMAC_KEY });

test.each([
  ['phone', 'phone: '],
  ['Phone', 'phone: '],
  ['PHONE_NUMBER', 'phone: '],
  ['homePhone', 'phone: '],
  ['mobile', 'phone: '],
  ['tel', 'phone: '],
  ['fax_no', 'phone: '],
  ['cell_phone', 'phone: '],
  ['cellNumber', 'phone: '],
  ['ssn', 'ssn: '],
  ['customerSSN', 'ssn: '],
  ['social_security', 'ssn: '],
  ['socialSecurityNumber', 'ssn: '],
  ['card_number', 'card number: '],
  ['creditCard', 'card number: '],
  ['cc-num', 'card number: '],
])('the key %s names a kind of PII', (key, context) => {
  expect(contextOfKey(key)).toBe(context);
});

test.each(['phone_id', 'phoneVerified', 'card_brand', 'ssn_last4', 'hotel', 'cell', 'amount', 'order_number', 'classname', 'phone 415', 'a@b.c'])(
  'the key %s gives no context',
  (key) => {
    expect(contextOfKey(key)).toBeUndefined();
  },
);

test('a phone stored as an integer and an SSN without separators are masked when their keys name them', () => {
  expect(redact({ phone: 4155550123, ssn: '078051120', contact: { Mobile_Phone: '4155550199' }, phones: [4155550123] })).toEqual({
    phone: '******0123',
    ssn: '*****1120',
    contact: { Mobile_Phone: '******0199' },
    phones: ['******0123'],
  });
});

test('a Luhn-valid card of an issuer not listed counts under a key that names a card, as after card words in prose', () => {
  expect(redact({ card_number: '6759649826438453', reference: '6759649826438453' })).toEqual({ card_number: '************8453', reference: '6759649826438453' });
});

test('the same values under keys that name something else are left alone, and context never invents PII', () => {
  const record = { amount: 4155550123, order_number: '4155550123', phone_id: 4155550123, phone: 'n/a', ssn: '000-00-0000', card_number: 1234567890123 };
  expect(redact(record)).toEqual(record);
});

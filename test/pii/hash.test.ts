// Keyed hashes join one value however it is spelled: phones in E.164, IP addresses in canonical form.
import { hashValue, hashValueAnyVersion } from '../../src/pii/hash';

const KEY = new Uint8Array(32).fill(7);

test.each([
  ['phone', '+1 415-555-2671', '(415) 555-2671'],
  ['phone', '+1 415-555-2671', '001 415 555 2671'],
  ['phone', '+44 20 7946 0958', '0044 20 7946 0958'],
  ['phone', '+44 (0)20 7946 0958', '020 7946 0958'],
  ['phone', '+1 415 555 2671 ext. 12', '(415) 555-2671 x12'],
  ['ip_address', '2001:db8::1', '2001:0DB8:0000:0000:0000:0000:0000:0001'],
  ['ip_address', '2001:db8:0:0:1:0:0:1', '2001:DB8::1:0:0:1'],
  ['ip_address', '::ffff:192.0.2.1', '192.0.2.1'],
  ['ip_address', '0:0:0:0:0:ffff:c000:0201', '::FFFF:192.0.2.1'],
])('%s %s and %s hash alike', (type, one, other) => {
  expect(hashValue(type, one, KEY)).toBe(hashValue(type, other, KEY));
});

test.each([
  ['phone', '+1 415-555-2671', '+1 415-555-2672'],
  ['phone', '+1 415-555-2671', '+44 415 555 2671'],
  ['phone', '+1 415 555 2671 ext. 12', '+1 415 555 2671 ext. 13'],
  ['ip_address', '2001:db8::1', '2001:db8::1:0'],
  ['ip_address', '::ffff:192.0.2.1', '192.0.2.2'],
])('%s %s and %s stay apart', (type, one, other) => {
  expect(hashValue(type, one, KEY)).not.toBe(hashValue(type, other, KEY));
});

test('erasure also looks for the hash a phone or address had before it was normalized, and for nothing else', () => {
  expect(hashValueAnyVersion('phone', '(415) 555-2671', KEY)).toEqual([hashValue('phone', '(415) 555-2671', KEY), expect.stringMatching(/^\[phone:hmac:/)]);
  expect(hashValueAnyVersion('phone', '+14155552671', KEY)).toEqual([hashValue('phone', '+14155552671', KEY)]);
  expect(hashValueAnyVersion('email', 'Jane@Example.com', KEY)).toEqual([hashValue('email', 'jane@example.com', KEY)]);
});

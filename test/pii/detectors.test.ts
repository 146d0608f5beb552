// Each built-in detector on the values it must find and the look-alikes it must leave alone.
import { detectPii } from '../../src/pii/detect';
import type { BuiltinDetector } from '../../src/pii/policy';

function found(type: BuiltinDetector, text: string): string[] {
  return detectPii(text, { detectors: [type] }).map((s) => text.slice(s.start, s.end));
}

describe('detectors', () => {
  it.each([
    ['email', 'write to maria.gonzalez@acme-corp.com today', 'maria.gonzalez@acme-corp.com'],
    ['phone', 'call +44 20 7946 0958 now', '+44 20 7946 0958'],
    ['phone', 'fax (212) 555-0123.', '(212) 555-0123'],
    ['phone', 'Call me on 07700 900123', '07700 900123'],
    ['ssn', 'SSN 536-22-1234 on file', '536-22-1234'],
    ['ssn', 'her ssn: 536221234', '536221234'],
    ['credit_card', 'card 4111-1111-1111-1111 expired', '4111-1111-1111-1111'],
    ['credit_card', 'amex 3782 822463 10005', '3782 822463 10005'],
    ['iban', 'IBAN GB82 WEST 1234 5698 7654 32 please', 'GB82 WEST 1234 5698 7654 32'],
    ['ip_address', 'from 203.0.113.42 at noon', '203.0.113.42'],
    ['ip_address', 'peer 2001:db8::8a2e:370:7334 joined', '2001:db8::8a2e:370:7334'],
  ] as const)('%s finds %j', (type, text, value) => {
    expect(found(type, text)).toEqual([value]);
  });

  it.each([
    ['email', 'not emails: @user, user@localhost, logo@2x.png, name@'],
    ['phone', 'order 4155552671, date 2023-10-15 12:30, epoch 1710497551, dial-in code 123 456 789'],
    ['ssn', 'invalid 000-12-3456 666-12-3456 912-34-5678 123-00-4567 123-45-0000; employee id 123456789'],
    ['credit_card', 'Luhn fails 4111 1111 1111 1112; order #4532015112830366; IMEI 356938035643809'],
    ['iban', 'bad check digits GB82 WEST 1234 5698 7654 33; RF18 5390 0754 7034'],
    ['ip_address', 'http://10.0.0.1/admin, version 10.0.19041.1, 1.2.3.4-beta, 256.1.1.1, std::vector, 12:30:45'],
  ] as const)('%s ignores look-alikes', (type, text) => {
    expect(found(type, text)).toEqual([]);
  });

  it('when detectors overlap, the longest span wins and output is ordered', () => {
    const text = 'x 4111 1111 1111 1111 and a@b.co';
    expect(detectPii(text).map((s) => s.type)).toEqual(['credit_card', 'email']);
  });

  it('runs custom detectors from the policy with their checksum', () => {
    const customDetectors = [{ name: 'employee_id', pattern: 'EMP-\\d{6}' }, { name: 'member', pattern: '\\b\\d{8}\\b', checksum: 'luhn' as const }];
    const text = 'EMP-123456 and 79927398 but not 79927399';
    expect(detectPii(text, { detectors: [], customDetectors }).map((s) => [s.type, text.slice(s.start, s.end)])).toEqual([
      ['employee_id', 'EMP-123456'],
      ['member', '79927398'],
    ]);
  });

  it('a custom pattern that does not compile is a coded error naming the detector', () => {
    expect(() => detectPii('x', { customDetectors: [{ name: 'broken', pattern: '(' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CUSTOM_DETECTOR', message: expect.stringContaining('custom_detectors.broken') }),
    );
  });
});

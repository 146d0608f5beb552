// The shortcuts that make detection fast must not change what it finds: the pre-checks that skip detectors,
// the colon and dot pre-checks of the IP detector, and the IBAN check done without ibantools' checksum.
import fc from 'fast-check';
import { countrySpecs, isValidIBAN } from 'ibantools';
import { createPiiDetector } from '../../src/pii/detect';
import { resolveOverlaps } from '../../src/pii/resolve-overlaps';
import { createPhoneDetector } from '../../src/pii/detectors/phone';
import { detectSsns } from '../../src/pii/detectors/ssn';
import { detectCreditCards } from '../../src/pii/detectors/credit-card';
import { detectIbans } from '../../src/pii/detectors/iban';
import { detectIpAddresses } from '../../src/pii/detectors/ip-address';
import { mayHoldPhone, mayHoldSsn } from '../../src/pii/pre-checks';
import type { PiiSpan } from '../../src/pii/types';

// Number-heavy text: digits, every separator the detectors care about, hex letters and IBAN-ish letters.
const numberish = fc.string({ unit: fc.constantFrom(...'0123456789012345678901234567 -.()/+:abcdefGBDE*]\u00a0_'), maxLength: 80 });
const pieces = fc
  .array(
    fc.oneof(
      numberish,
      fc.constantFrom('4111 1111 1111 1111', '123-45-6789', 'ssn 123456789', '+44 20 7946 0958', '(415) 555-2671', 'call 555-0123'),
      fc.constantFrom('GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', '10.1.2.3', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1'),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(' '));

/** Every digit detector on the whole text, no pre-check: what detection found before the shortcuts. */
function detectWithoutPreScan(text: string): PiiSpan[] {
  if (text.length < 3) return [];
  const phone = createPhoneDetector();
  const spans = [phone, detectSsns, detectCreditCards, detectIbans, detectIpAddresses].flatMap((detect) => detect(text));
  return resolveOverlaps(spans);
}

describe('detection fast paths', () => {
  const detector = createPiiDetector({ detectors: ['phone', 'ssn', 'credit_card', 'iban', 'ip_address'] });

  it('when a pre-check skips a detector, the result is what running every detector gives', () => {
    fc.assert(
      fc.property(pieces, (text) => {
        expect(detector.detect(text)).toEqual(detectWithoutPreScan(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('the pre-checks count digits in grouped and punctuated runs as the SSN and phone candidates see them', () => {
    expect(mayHoldSsn('123-45-6789')).toBe(true);
    expect(mayHoldSsn('123-45 678')).toBe(false);
    expect(mayHoldPhone('(415) 555.2')).toBe(true);
    expect(mayHoldPhone('(415) 55x5.2671')).toBe(false);
  });

  it('IPv4 and IPv6 found next to clock times, versions and prose dots are the ones a full scan finds', () => {
    const text = 'at 10:30:15 from 10.1.2.3, then fe80::1 and 2001:db8::1.';
    const at = (value: string) => ({ type: 'ip_address', start: text.indexOf(value), end: text.indexOf(value) + value.length });
    expect(detectIpAddresses(text)).toEqual([at('10.1.2.3'), at('fe80::1'), at('2001:db8::1')]);
    expect(detectIpAddresses('version 1.2.3.4 and 1.2.3.4.5 and a::b')).toEqual([]);
  });

  it('an IBAN is accepted exactly when ibantools accepts it, odd check digits included', () => {
    const countries = Object.keys(countrySpecs).filter((c) => countrySpecs[c]?.chars !== undefined);
    const candidate = fc
      .tuple(fc.constantFrom(...countries), fc.integer({ min: 0, max: 99 }), fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 10, maxLength: 30 }))
      .map(([country, check, bban]) => `${country}${String(check).padStart(2, '0')}${bban}`.slice(0, countrySpecs[country]!.chars!));
    fc.assert(
      fc.property(candidate, (iban) => {
        const found = detectIbans(iban).some((s) => s.start === 0 && s.end === iban.length);
        expect(found).toBe(isValidIBAN(iban));
      }),
      { numRuns: 5000 },
    );
    // real IBANs whose check digits are recomputed to every value from 00 to 99: only the right one passes
    for (const valid of ['GB82WEST12345698765432', 'DE89370400440532013000']) {
      for (let check = 0; check <= 99; check++) {
        const iban = `${valid.slice(0, 2)}${String(check).padStart(2, '0')}${valid.slice(4)}`;
        expect(detectIbans(iban).length === 1).toBe(isValidIBAN(iban));
      }
    }
  });
});

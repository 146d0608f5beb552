// The shortcuts that make detection fast must not change what it finds: the one scan for number runs that tells
// each digit detector where to search, the colon and dot pre-checks of the IP detector, and the IBAN check done
// without ibantools' checksum.
import fc from 'fast-check';
import { countrySpecs, isValidIBAN } from 'ibantools';
import { createPiiDetector } from '../../src/pii/detect';
import { resolveOverlaps } from '../../src/pii/resolve-overlaps';
import { createPhoneDetector } from '../../src/pii/detectors/phone';
import { detectSsns } from '../../src/pii/detectors/ssn';
import { detectCreditCards } from '../../src/pii/detectors/credit-card';
import { detectIbans } from '../../src/pii/detectors/iban';
import { detectIpAddresses } from '../../src/pii/detectors/ip-address';
import { createNumberRuns, findNumberRuns, RUN_FIELDS, type NumberRuns } from '../../src/pii/number-runs';
import type { PiiSpan } from '../../src/pii/types';
import { finalMaskCheck, redactDetected } from '../../src/pii/redact';
import { maskValue } from '../../src/pii/mask';
import { masksAreFinal } from '../../src/pii/final-masks';

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

// The same pieces glued by what most often sits right beside PII: nothing, punctuation, words that judge a number.
const glued = fc
  .array(
    fc.tuple(
      fc.oneof(numberish, fc.constantFrom('4111 1111 1111 1111', '123-45-6789', '+44 20 7946 0958', '(415) 555-2671', '415-555-2671', 'john@example.com', '10.1.2.3', 'fe80::1', 'GB82 WEST 1234 5698 7654 32')),
      fc.constantFrom(' ', '', ', ', '. ', '.', '-', ':', '@', '\n', ' x', ' ext. ', ' call ', ' order ', '*', '(', ') ', ' / ', '"'),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.flat().join(''));

/** `text` with one round of masks, as a redaction that never looked again would leave it. */
function replaceSpansOnce(text: string, detect: (text: string) => PiiSpan[]): string {
  return redactDetected(text, detect, maskValue, () => true);
}

/** One "run" over the whole text that passes every digit and dot count: each detector scans all of it. */
function wholeText(text: string): NumberRuns {
  return { runs: Int32Array.of(0, text.length, text.length, text.length), runCount: 1, maxDigits: text.length };
}

/** Every digit detector over the whole text, no number-run scan: what detection finds without the shortcut. */
function detectWithoutRunScan(text: string): PiiSpan[] {
  if (text.length < 3) return [];
  const runs = wholeText(text);
  const spans: PiiSpan[] = [];
  for (const detect of [createPhoneDetector(), detectSsns, detectCreditCards, detectIpAddresses]) detect(text, runs, spans);
  detectIbans(text, spans);
  return resolveOverlaps(spans);
}

function runsOf(text: string): string[] {
  const runs = createNumberRuns();
  findNumberRuns(text, runs);
  const found: string[] = [];
  for (let i = 0; i < runs.runCount; i++) found.push(text.slice(runs.runs[i * RUN_FIELDS], runs.runs[i * RUN_FIELDS + 1]));
  return found;
}

function ibansIn(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  detectIbans(text, spans);
  return spans;
}

describe('detection fast paths', () => {
  const detector = createPiiDetector({ detectors: ['phone', 'ssn', 'credit_card', 'iban', 'ip_address'] });

  it('searching only the number runs finds what running every detector over the whole text finds', () => {
    fc.assert(
      fc.property(pieces, (text) => {
        expect(detector.detect(text)).toEqual(detectWithoutRunScan(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('a phone inside another find is skipped only while that find is kept', () => {
    const found = (text: string, spans: readonly PiiSpan[]) => spans.map((s) => [s.type, text.slice(s.start, s.end)]);
    // the address holds a phone-shaped local part: the address outranks it, so it is never judged
    const text = 'write to 415-555-2671@example.com today';
    expect(found(text, createPiiDetector().detect(text))).toEqual([['email', '415-555-2671@example.com']]);
    // a longer find overlapping the address drops it, so the phone left clear of that find is reported
    const notes = { name: 'notes', pattern: '@example\\.com[a-z ]{20}' };
    const beside = createPiiDetector({ customDetectors: [notes] });
    const judgedAll = createPiiDetector({ detectors: ['phone'], customDetectors: [notes] });
    const longer = `${text} and every day after`;
    expect(found(longer, beside.detect(longer))).toEqual([
      ['phone', '415-555-2671'],
      ['notes', '@example.com today and every day'],
    ]);
    expect(beside.detect(longer)).toEqual(judgedAll.detect(longer));
  });

  it('a second round of masking is skipped only where it would find nothing new', () => {
    const all = createPiiDetector();
    const isFinal = finalMaskCheck(all);
    const detect = (text: string) => all.detect(text);
    let skipped = 0;
    fc.assert(
      fc.property(fc.oneof(pieces, glued), (text) => {
        const spans = detect(text);
        if (isFinal(text, spans)) skipped++;
        expect(redactDetected(text, detect, maskValue, isFinal)).toBe(redactDetected(text, detect, maskValue));
      }),
      { numRuns: 5000 },
    );
    // the check must be met often enough for this to have tested something
    expect(skipped).toBeGreaterThan(500);
  });

  it('masks are final only set apart (whitespace around, alone in their number run), and shorter or lettered ones only with no number after', () => {
    const all = createPiiDetector();
    const final = (text: string) => masksAreFinal(text, all.detect(text)) && all.keptEverything();
    expect(final('card 4111 1111 1111 1111, thanks')).toBe(true);
    expect(final('ssn 123-45-6789')).toBe(true);
    // a value that is the whole text: nothing is left beside its mask
    expect(final('10.1.2.3')).toBe(true);
    expect(final('2001:db8::8a2e:370:7334')).toBe(true);
    expect(final('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(final('john@example.com')).toBe(true);
    // a domain's digits are left as they were, to be judged again once the address around them is masked
    expect(final('john@4155552671.example.com')).toBe(false);
    // a mask beside more digits ends their run somewhere new
    expect(final('card 4111 1111 1111 1111 12 25')).toBe(false);
    expect(final('fe80::4111 1111 1111 1111')).toBe(false);
    // shorter masks, and masks that star letters, are final only with no number after them to judge
    expect(final('from 10.1.2.3 today')).toBe(true);
    expect(final('from 10.1.2.3 today, call 555-0123')).toBe(false);
    expect(final('mail john@example.com.')).toBe(true);
    expect(final('mail john@example.com or call 555-0123')).toBe(false);
    expect(final('iban GB82 WEST 1234 5698 7654 32 thanks')).toBe(true);
    expect(final('iban GB82 WEST 1234 5698 7654 32 by 12.05.')).toBe(false);
    expect(final('call 555-1234 x4587 now, 555-0123 later')).toBe(false);
    // each refusal above guards a text a second round does change
    const isFinal = finalMaskCheck(all);
    const detect = (text: string) => all.detect(text);
    const secondRoundChanges = [
      'fe80::4111 1111 1111 1111', // the card after an address's colons: masked, the colons end a shorter address
      'call 555-0123 4111 1111 1111 1111', // one run: masking the card leaves the phone standing alone
      `card 192.168.100.200${' '.repeat(8)} then 1234567890123007`, // the shorter address mask brings "card" within reach
      'call john.smith.jr@x.co.uk 555-0123', // starred, the address is fewer words between "call" and the number
    ];
    for (const text of secondRoundChanges) {
      const once = replaceSpansOnce(text, detect);
      const redacted = redactDetected(text, detect, maskValue, isFinal);
      expect(redacted).not.toBe(once);
      expect(redacted).toBe(redactDetected(text, detect, maskValue));
    }
  });

  it('a number run spans digits and the punctuation numbers are written with, and needs four digits', () => {
    expect(runsOf('call (415) 555-2671 or 10.1.2.3 at 10:30, qty 123')).toEqual([' (415) 555-2671 ', ' 10.1.2.3 ']);
    expect(runsOf('card 4111\u00a01111/1111-1111.')).toEqual([' 4111\u00a01111/1111-1111.']);
    expect(runsOf('v1.2 and 12:34 and abc123')).toEqual([]);
    // digits glued to a word open no match and are left out of their run
    expect(runsOf('run_123456789012, abc1234 5678 and x(415) 555-2671')).toEqual([' 5678 ', '(415) 555-2671']);
    const runs = createNumberRuns();
    expect(findNumberRuns('no digits here', runs)).toBe(false);
    expect(findNumberRuns('only 12 and 3', runs)).toBe(true);
    expect(runs.runCount).toBe(0);
  });

  it('IPv4 and IPv6 found next to clock times, versions and prose dots are the ones a full scan finds', () => {
    const text = 'at 10:30:15 from 10.1.2.3, then fe80::1 and 2001:db8::1.';
    const at = (value: string) => ({ type: 'ip_address', start: text.indexOf(value), end: text.indexOf(value) + value.length });
    expect(detector.detect(text)).toEqual([at('10.1.2.3'), at('fe80::1'), at('2001:db8::1')]);
    expect(detector.detect('version 1.2.3.4 and 1.2.3.4.5 and a::b')).toEqual([]);
  });

  it('an IBAN is accepted exactly when ibantools accepts it, odd check digits included', () => {
    const countries = Object.keys(countrySpecs).filter((c) => countrySpecs[c]?.chars !== undefined);
    const candidate = fc
      .tuple(fc.constantFrom(...countries), fc.integer({ min: 0, max: 99 }), fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 10, maxLength: 30 }))
      .map(([country, check, bban]) => `${country}${String(check).padStart(2, '0')}${bban}`.slice(0, countrySpecs[country]!.chars!));
    fc.assert(
      fc.property(candidate, (iban) => {
        const found = ibansIn(iban).some((s) => s.start === 0 && s.end === iban.length);
        expect(found).toBe(isValidIBAN(iban));
      }),
      { numRuns: 5000 },
    );
    // real IBANs whose check digits are recomputed to every value from 00 to 99: only the right one passes
    for (const valid of ['GB82WEST12345698765432', 'DE89370400440532013000']) {
      for (let check = 0; check <= 99; check++) {
        const iban = `${valid.slice(0, 2)}${String(check).padStart(2, '0')}${valid.slice(4)}`;
        expect(ibansIn(iban).length === 1).toBe(isValidIBAN(iban));
      }
    }
  });
});

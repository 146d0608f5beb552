// Phone numbers, validated by libphonenumber-js. A leading `+` or `00` makes a number international and only
// its length must be possible for that country (fictional ranges like +44 7700 900xxx are still phones).
// Without one, a number counts when it has the NANP shape and is valid for the default country, or when
// the words before it say "phone" and it is a local 555-0123, valid for the default country, or a
// trunk-prefixed national number possible in one of the configured regions.
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js';
import type { PiiSpan } from '../types';
import { precededBy } from '../context';
import { isPossibleInternational, isValidNanpDigits } from './phone-metadata';

export interface PhoneOptions {
  /** Region for numbers written without a country code and without a phone keyword. Default US. */
  readonly defaultCountry?: CountryCode;
  /** Regions tried for national numbers that follow a phone keyword ("call", "tel", "mobile"…). */
  readonly contextRegions?: readonly CountryCode[];
}

export const DEFAULT_CONTEXT_REGIONS: readonly CountryCode[] = [
  'US', 'GB', 'DE', 'FR', 'IN', 'AU', 'CA', 'ES', 'IT', 'NL', 'BR', 'MX', 'JP', 'CN', 'IE', 'CH', 'AT', 'BE', 'SE',
  'SG', 'ZA', 'NZ', 'PL', 'PT',
];

const CANDIDATE = /(?<![\w+.,/*\]-])(?:\+|\b00)?\(?\d[\d ().\-/\u00a0]{4,26}\d(?!\w)/g;
const NANP_SHAPE = /^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}$/;
const NANP_COUNTRIES: ReadonlySet<CountryCode> = new Set(['US', 'CA']);
const LOCAL_SHAPE = /^\d{3}-\d{4}$/;
const TRUNK_PREFIX = /^\(?0[1-9]/;
const DATE_LIKE = /\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.]\d\d?\b|\b\d\d?[-/.]\d\d?[-/.](?:19|20)\d\d\b/;
const PHONE_CONTEXT = /\b(?:phone|tel|telephone|call|calls|called|mobile|mob|cell|cellphone|fax|whatsapp|sms|text|dial|ring|hotline|contact|reach|ph|tlf|telefon|téléphone|numéro|handy)\b(?:[^a-z\n]{1,4}[a-z]{1,8}){0,3}[^a-z\n]{0,12}$|(?:☎|📞)\s*$/;
const NOT_A_PHONE = /\b(?:order|invoice|ref|reference|account|acct|id|tracking|serial|sku|ticket|case|po|isbn|part|batch|lot|txn|transaction)\b[^a-z\n]{0,6}$|#\s*$/;
const CONTEXT_WINDOW = 40;
const PIECE_SEPARATOR = /\s*\/\s*|\s{2,}/g;
const HAS_PIECE_SEPARATOR = /\/|\s\s/;

function countDigits(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 48 && code <= 57) n++;
  }
  return n;
}

function parse(value: string, region?: CountryCode): PhoneNumber | undefined {
  try {
    return parsePhoneNumberFromString(value, region);
  } catch {
    return undefined;
  }
}

function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

function isInternationalPhone(value: string): boolean {
  if (value.startsWith('00')) {
    // `00` also opens plain numbers ("0012345678"); demand a number valid in its country there
    return parse(`+${value.slice(2)}`)?.isValid() === true;
  }
  // "+44 (0)20 …": the bracketed trunk 0 is not dialled from abroad
  return isPossibleInternational(digitsOf(value.replace('(0)', '')));
}

/** NANP-shaped numbers valid for the default country; a full parse only outside North America. */
function isValidNanp(value: string, country: CountryCode): boolean {
  return NANP_COUNTRIES.has(country) ? isValidNanpDigits(digitsOf(value)) : parse(value, country)?.isValid() === true;
}

function isPhone(text: string, start: number, value: string, options: Required<PhoneOptions>): boolean {
  const digits = countDigits(value);
  if (digits < 7 || digits > 15 || DATE_LIKE.test(value)) return false;
  if (value.startsWith('+') || value.startsWith('00')) return isInternationalPhone(value);
  if (NANP_SHAPE.test(value) && isValidNanp(value, options.defaultCountry)) {
    return precededBy(text, start, CONTEXT_WINDOW, PHONE_CONTEXT) || !precededBy(text, start, 16, NOT_A_PHONE);
  }
  if (!precededBy(text, start, CONTEXT_WINDOW, PHONE_CONTEXT)) return false;
  if (LOCAL_SHAPE.test(value) || parse(value, options.defaultCountry)?.isValid()) return true;
  // elsewhere national numbers are written with the trunk 0 ("020 7946 0958"); without it a digit run
  // after "dial-in code" is more likely a conference code than a phone
  return TRUNK_PREFIX.test(value) && options.contextRegions.some((region) => parse(value, region)?.isPossible() === true);
}

/** The length of the longest space-delimited prefix of `value` that is an international phone, or 0. */
function longestInternationalPrefix(value: string): number {
  if (!value.startsWith('+')) return 0;
  for (let end = value.lastIndexOf(' '); end > 0; end = value.lastIndexOf(' ', end - 1)) {
    const prefix = value.slice(0, end).trimEnd();
    if (countDigits(prefix) >= 7 && countDigits(prefix) <= 15 && isInternationalPhone(prefix)) return prefix.length;
  }
  return 0;
}

export function createPhoneDetector(options: PhoneOptions = {}): (text: string) => PiiSpan[] {
  const resolved: Required<PhoneOptions> = {
    defaultCountry: options.defaultCountry ?? 'US',
    contextRegions: options.contextRegions ?? DEFAULT_CONTEXT_REGIONS,
  };
  return (text) => {
    const spans: PiiSpan[] = [];
    CANDIDATE.lastIndex = 0;
    for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
      if (countDigits(m[0]) < 7) continue;
      if (isPhone(text, m.index, m[0], resolved)) {
        spans.push({ type: 'phone', start: m.index, end: m.index + m[0].length });
        continue;
      }
      // an international number may run into the next figure ("+44 20 7946 0958 10.1.2.3"): try shorter cuts
      const cut = longestInternationalPrefix(m[0]);
      if (cut > 0) {
        spans.push({ type: 'phone', start: m.index, end: m.index + cut });
        continue;
      }
      // a run may hold two numbers ("415-555-2671 / 415-555-2672"): judge each piece alone
      if (!HAS_PIECE_SEPARATOR.test(m[0])) continue;
      let pieceStart = 0;
      for (const sep of [...m[0].matchAll(PIECE_SEPARATOR), null]) {
        const pieceEnd = sep === null ? m[0].length : sep.index;
        const piece = m[0].slice(pieceStart, pieceEnd);
        if (piece.length > 0 && piece.length < m[0].length && isPhone(text, m.index + pieceStart, piece, resolved)) {
          spans.push({ type: 'phone', start: m.index + pieceStart, end: m.index + pieceEnd });
        }
        if (sep !== null) pieceStart = sep.index + sep[0].length;
      }
    }
    return spans;
  };
}

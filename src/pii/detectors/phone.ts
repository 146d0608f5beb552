// Phone numbers, validated by libphonenumber-js. A leading `+` or `00` makes a number international and only
// its length must be possible for that country (fictional ranges like +44 7700 900xxx are still phones).
// Without one, a number counts when it has the NANP shape and is valid for the default country, or when
// the words before it say "phone" and it is a local 555-0123, valid for the default country, or a
// trunk-prefixed national number possible in one of the configured regions.
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js';
import type { PiiSpan } from '../types';
import { precededBy } from '../context';
import { digitsBetween, execInRuns, type NumberRuns } from '../number-runs';
import { isPossibleInternational, isValidNanpNumber } from './phone-metadata';

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
/** The fewest digits a phone holds. */
const MIN_DIGITS = 7;
/** A phone's number run may be opened by the `+` just before it. */
const LEADING_PLUS = 1;
const MAX_DIGITS = 15;
const PIECE_SEPARATOR = /\s*\/\s*|\s{2,}/g;

// Candidates are judged by their place in the text rather than by their own string where a character test will
// do: a match's string comes in more internal forms than the texts it is cut from, which makes reading it slow.

function parse(value: string, region?: CountryCode): PhoneNumber | undefined {
  try {
    return parsePhoneNumberFromString(value, region);
  } catch {
    return undefined;
  }
}

/** Whether the candidate `value`, at [start, end) of `text`, opens with `00`. */
function opensWithDoubleZero(text: string, start: number, end: number): boolean {
  return end - start >= 2 && text.charCodeAt(start) === 48 && text.charCodeAt(start + 1) === 48;
}

function isInternationalPhone(text: string, start: number, end: number, value: string): boolean {
  if (opensWithDoubleZero(text, start, end)) {
    // `00` also opens plain numbers ("0012345678"); demand a number valid in its country there
    return parse(`+${value.slice(2)}`)?.isValid() === true;
  }
  // "+44 (0)20 …": the bracketed trunk 0 is not dialled from abroad
  const trunk = value.indexOf('(0)');
  return trunk === -1 ? isPossibleInternational(text, start, end) : isPossibleInternational(text, start, end, start + trunk, start + trunk + 3);
}

/** NANP-shaped numbers valid for the default country; a full parse only outside North America. */
function isValidNanp(text: string, start: number, end: number, value: string, country: CountryCode): boolean {
  return NANP_COUNTRIES.has(country) ? isValidNanpNumber(text, start, end) : parse(value, country)?.isValid() === true;
}

/** Whether the candidate holds any of DATE_LIKE's separators; most phones do not, and skip the pattern. */
function mayBeDate(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 45 || code === 46 || code === 47) return true;
  }
  return false;
}

/** NANP_SHAPE's fixed tail (`ddd-dddd` after 5 to 10 more characters), checked before the pattern runs. */
function mayBeNanpShape(text: string, start: number, end: number): boolean {
  const separator = text.charCodeAt(end - 5);
  return end - start >= 12 && end - start <= 17 && (separator === 32 || separator === 45 || separator === 46);
}

/**
 * Whether a candidate holds what PIECE_SEPARATOR splits on: a `/`, or two whitespace characters in a row (the
 * only whitespace a candidate can hold is space and no-break space).
 */
function hasPieceSeparator(text: string, start: number, end: number): boolean {
  let previousWasSpace = false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 47) return true;
    const isSpace = code === 32 || code === 160;
    if (isSpace && previousWasSpace) return true;
    previousWasSpace = isSpace;
  }
  return false;
}

/** Whether `value`, found at [start, end) of `text`, is a phone number. */
function isPhone(text: string, start: number, end: number, value: string, options: Required<PhoneOptions>): boolean {
  const digits = digitsBetween(text, start, end);
  if (digits < MIN_DIGITS || digits > MAX_DIGITS || (mayBeDate(text, start, end) && DATE_LIKE.test(value))) return false;
  if (text.charCodeAt(start) === 43 || opensWithDoubleZero(text, start, end)) return isInternationalPhone(text, start, end, value);
  if (mayBeNanpShape(text, start, end) && NANP_SHAPE.test(value) && isValidNanp(text, start, end, value, options.defaultCountry)) {
    return precededBy(text, start, CONTEXT_WINDOW, PHONE_CONTEXT) || !precededBy(text, start, 16, NOT_A_PHONE);
  }
  if (!precededBy(text, start, CONTEXT_WINDOW, PHONE_CONTEXT)) return false;
  if (LOCAL_SHAPE.test(value) || parse(value, options.defaultCountry)?.isValid()) return true;
  // elsewhere national numbers are written with the trunk 0 ("020 7946 0958"); without it a digit run
  // after "dial-in code" is more likely a conference code than a phone
  return TRUNK_PREFIX.test(value) && options.contextRegions.some((region) => parse(value, region)?.isPossible() === true);
}

/** The length of the longest space-delimited prefix of the `+` candidate `value` at `start` that is an international phone, or 0. */
function longestInternationalPrefix(text: string, start: number, value: string): number {
  if (text.charCodeAt(start) !== 43) return 0;
  for (let end = value.lastIndexOf(' '); end > 0; end = value.lastIndexOf(' ', end - 1)) {
    const prefix = value.slice(0, end).trimEnd();
    const digits = digitsBetween(text, start, start + prefix.length);
    if (digits >= MIN_DIGITS && digits <= MAX_DIGITS && isInternationalPhone(text, start, start + prefix.length, prefix)) return prefix.length;
  }
  return 0;
}

export function createPhoneDetector(options: PhoneOptions = {}): (text: string, runs: NumberRuns, spans: PiiSpan[]) => void {
  const resolved: Required<PhoneOptions> = {
    defaultCountry: options.defaultCountry ?? 'US',
    contextRegions: options.contextRegions ?? DEFAULT_CONTEXT_REGIONS,
  };
  return (text, runs, spans) => {
    CANDIDATE.lastIndex = 0;
    for (let m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, LEADING_PLUS); m !== null; m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, LEADING_PLUS)) {
      const start = m.index;
      const end = CANDIDATE.lastIndex;
      if (digitsBetween(text, start, end) < MIN_DIGITS) continue;
      if (isPhone(text, start, end, m[0], resolved)) {
        spans.push({ type: 'phone', start, end });
        continue;
      }
      // an international number may run into the next figure ("+44 20 7946 0958 10.1.2.3"): try shorter cuts
      const cut = longestInternationalPrefix(text, start, m[0]);
      if (cut > 0) {
        spans.push({ type: 'phone', start, end: start + cut });
        continue;
      }
      // a run may hold two numbers ("415-555-2671 / 415-555-2672"): judge each piece alone
      if (!hasPieceSeparator(text, start, end)) continue;
      let pieceStart = 0;
      for (const sep of [...m[0].matchAll(PIECE_SEPARATOR), null]) {
        const pieceEnd = sep === null ? end - start : sep.index;
        const piece = m[0].slice(pieceStart, pieceEnd);
        if (piece.length > 0 && piece.length < end - start && isPhone(text, start + pieceStart, start + pieceEnd, piece, resolved)) {
          spans.push({ type: 'phone', start: start + pieceStart, end: start + pieceEnd });
        }
        if (sep !== null) pieceStart = sep.index + sep[0].length;
      }
    }
  };
}

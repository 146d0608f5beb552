// Phone numbers, validated against numbering plans (libphonenumber metadata). A leading `+` or `00` makes a number
// international and only its length must be possible for that country (fictional ranges like +44 7700 900xxx are
// still phones). Without one, a number counts when it has the NANP shape and is valid for the default country, or
// when it is a valid national number of one of the configured regions: written with that region's trunk prefix
// ("020 7946 0958", "8 (912) 345-67-89") or grouped like a phone, or anything valid after a phone keyword ("call",
// "tel", "mobile"…). Words like "order" or "invoice" just before, a date's shape, or an amount's currency and
// decimals refuse a number; an extension written after it ("x4587", "ext. 12") belongs to it.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { PiiSpan } from '../types';
import { precededBy } from '../context';
import { digitsBetween, execInRuns, type NumberRuns } from '../number-runs';
import { isPossibleInternational, isValidNanpNumber } from './phone-metadata';
import { DEFAULT_PHONE_REGIONS, isKnownRegion, matchNational, trunkOpeningDigits, type NationalMatch } from './phone-regions';

export interface PhoneOptions {
  /** Region for NANP-shaped numbers written without a country code. Default US. */
  readonly defaultCountry?: CountryCode;
  /** Regions whose national numbers are recognised without a country code, tried in order. */
  readonly regions?: readonly CountryCode[];
}

export { DEFAULT_PHONE_REGIONS };

/** The phone options of a data policy's `phone_regions` (validated codes); undefined keeps the wide default. */
export function phoneOptionsFor(regions: readonly string[] | undefined): PhoneOptions | undefined {
  return regions === undefined ? undefined : { regions: regions.filter(isKnownRegion) };
}

const CANDIDATE = /(?<![\w+.,/*\]-])(?:\+|\b00)?\(?\d[\d ().\-/\u00a0]{4,26}\d(?!\w)/g;
const NANP_SHAPE = /^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}$/;
const NANP_COUNTRIES: ReadonlySet<CountryCode> = new Set(['US', 'CA']);
const LOCAL_SHAPE = /^\d{3}-\d{4}$/;
const DATE_LIKE = /\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.]\d\d?\b|\b\d\d?[-/.]\d\d?[-/.](?:19|20)\d\d\b/;
const PHONE_CONTEXT = /\b(?:phone|tel|telephone|call|calls|called|mobile|mob|cell|cellphone|fax|whatsapp|sms|text|dial|ring|hotline|contact|reach|ph|tlf|telefon|téléphone|tél|numéro|handy|rappelez|appelez|appeler|portable|mobil|natel|gsm|anrufen|ruf|llame|llamar|teléfono|telefono|telefone|móvil|movil|celular|contacto|contatto|kontakt|puhelin|telefonnummer)(?![a-z])(?:[^a-z\n]{1,4}[a-z]{1,8}){0,4}[^a-z\n]{0,12}$|(?:☎|📞)\s*$/;
const NOT_A_PHONE = /\b(?:order|invoice|ref|reference|account|acct|id|tracking|serial|sku|ticket|case|po|isbn|part|batch|lot|txn|transaction|code|pin|passcode|build|version|release|zip|postcode|parcel|shipment|awb|imei|iccid|customer|member|policy|claim|fedex|ups|usps|dhl)\b(?:\s*(?:no|nr|number|num|id|code)\b)?[^a-z\n]{0,6}$|#\s*$/;
// Shapes a phone written without a country code never has: a US SSN (3-2-4), a ZIP+4 (5-4).
const OTHER_SHAPES = /^(?:\d{3}-\d{2}-\d{4}|\d{5}-\d{4})$/;
// An amount, not a number to dial: a currency just before, or decimals just after ("€ 1 234 567,89").
const CURRENCY_BEFORE = /(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|jpy|sek|nok|dkk|pln|czk|huf|ron|inr|brl|mxn|cad|aud))\s?$/;
const DECIMALS_AFTER = /^[.,]\d{1,2}(?!\d)/;
// An extension after the number: "x4587", "ext. 12", "extension 300", ", poste 628".
const EXTENSION = /(?:\s*(?:x|ext\.?|extn\.?|extension)\s?|,?\s*(?:poste|durchwahl|doorkiesnummer)\s)\d{1,6}(?![\w])/iy;
const CONTEXT_WINDOW = 40;
/** The fewest digits a phone holds: short local numbers count after a phone keyword only. */
const MIN_DIGITS = 6;
/** The fewest digits of a national number recognised without a phone keyword. */
const MIN_UNANNOUNCED_DIGITS = 8;
/** A phone's number run may be opened by the `+` just before it. */
const LEADING_PLUS = 1;
const MAX_DIGITS = 15;
const PIECE_SEPARATOR = /\s*\/\s*|\s{2,}/g;
const TRAILING_SEPARATORS = /[\s\u00a0/.-]+$/;

// Candidates are judged by their place in the text rather than by their own string where a character test will
// do: a match's string comes in more internal forms than the texts it is cut from, which makes reading it slow.

function parse(value: string, region?: CountryCode): ReturnType<typeof parsePhoneNumberFromString> {
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

/** The digits of `text.slice(start, end)`, joined from slices of its digit groups rather than one character at a time. */
function digitString(text: string, start: number, end: number): string {
  let digits = '';
  let groupStart = -1;
  for (let i = start; i <= end; i++) {
    const isDigit = i < end && isDigitCode(text.charCodeAt(i));
    if (isDigit && groupStart === -1) groupStart = i;
    else if (!isDigit && groupStart !== -1) {
      digits += text.slice(groupStart, i);
      groupStart = -1;
    }
  }
  return digits;
}

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** What phones are grouped with: space, `.`, `-`, `/`, no-break space, brackets. */
function isGroupSeparator(code: number): boolean {
  return code === 32 || code === 46 || code === 45 || code === 47 || code === 160 || code === 40 || code === 41;
}

/** Whether the candidate at [start, end) is grouped the way phones are written: at least two groups, none over five long. */
function isGroupedLikePhone(text: string, start: number, end: number): boolean {
  let groups = 0;
  let length = 0;
  for (let i = start; i <= end; i++) {
    if (i < end && !isGroupSeparator(text.charCodeAt(i))) {
      length++;
      continue;
    }
    if (length > 5) return false;
    if (length > 0) groups++;
    length = 0;
  }
  return groups >= 2;
}

/**
 * Dotted numbers with a one-digit group are versions and builds ("10.0.19041.1"); four small groups an IPv4.
 * Groups are the pieces between dots; one's length is counted without the spaces around it only for the first test.
 */
function isDottedNonPhone(text: string, start: number, end: number): boolean {
  let dots = 0;
  let slashes = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) dots++;
    else if (code === 47) slashes++;
  }
  if (dots === 0) return false;
  if (slashes > 0) return true;
  let groupStart = start;
  let allShort = true;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 46) continue;
    if (trimmedLength(text, groupStart, i) === 1) return true;
    if (i - groupStart > 3) allShort = false;
    groupStart = i + 1;
  }
  return dots === 3 && allShort;
}

/** The length of `text.slice(from, to)` without the spaces (plain or no-break) at either end. */
function trimmedLength(text: string, from: number, to: number): number {
  while (from < to && isSpaceCode(text.charCodeAt(from))) from++;
  while (to > from && isSpaceCode(text.charCodeAt(to - 1))) to--;
  return to - from;
}

function isAmount(text: string, start: number, end: number): boolean {
  return precededBy(text, start, 6, CURRENCY_BEFORE) || DECIMALS_AFTER.test(text.slice(end, end + 4));
}

// National numbers met again (bulk documents repeat them) are judged once per set of regions. Verdicts are kept
// per region list and looked up by the digits alone: a key naming the regions would be built and hashed per lookup.
const MAX_REMEMBERED = 4096;
const MAX_REGION_LISTS = 64;
const verdictsByRegions = new Map<string, Map<string, NationalMatch | null>>();

/** The remembered verdicts for one region list, shared by every detector built for it. */
function nationalVerdictsFor(regions: readonly CountryCode[]): Map<string, NationalMatch | null> {
  const key = regions.join(',');
  let verdicts = verdictsByRegions.get(key);
  if (verdicts === undefined) {
    verdicts = new Map();
    if (verdictsByRegions.size >= MAX_REGION_LISTS) verdictsByRegions.delete(verdictsByRegions.keys().next().value!);
    verdictsByRegions.set(key, verdicts);
  }
  return verdicts;
}

function matchNationalOnce(digits: string, options: ResolvedPhoneOptions): NationalMatch | undefined {
  const verdicts = options.nationalVerdicts;
  let verdict = verdicts.get(digits);
  if (verdict === undefined) {
    verdict = matchNational(digits, options.regions) ?? null;
    if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
    verdicts.set(digits, verdict);
  }
  return verdict ?? undefined;
}

interface ResolvedPhoneOptions {
  readonly defaultCountry: CountryCode;
  readonly regions: readonly CountryCode[];
  /** The digits a trunk-prefixed national number of `regions` opens with, one bit each. */
  readonly trunkOpenings: number;
  readonly nationalVerdicts: Map<string, NationalMatch | null>;
}

/** Whether `value`, found at [start, end) of `text`, is a phone number. */
function isPhone(text: string, start: number, end: number, value: string, options: ResolvedPhoneOptions): boolean {
  const digits = digitsBetween(text, start, end);
  if (continuesIpv6(text, start)) return false;
  if (digits < MIN_DIGITS || digits > MAX_DIGITS || (mayBeDate(text, start, end) && DATE_LIKE.test(value))) return false;
  if (text.charCodeAt(start) === 43 || opensWithDoubleZero(text, start, end)) return isInternationalPhone(text, start, end, value);
  if (mayBeNanpShape(text, start, end) && NANP_SHAPE.test(value) && isValidNanp(text, start, end, value, options.defaultCountry)) {
    return isAnnounced(text, start) || !isRefused(text, start);
  }
  // Checks that need no context come first: most numbers tried are refused by one of them.
  if (isDottedNonPhone(text, start, end)) return false;
  const announced = isAnnounced(text, start);
  if (!announced && (digits < MIN_UNANNOUNCED_DIGITS || OTHER_SHAPES.test(value))) return false;
  // Unannounced and written as one block ("epoch 1703808247"): only a trunk-prefixed national number of nine
  // digits or more is taken, so one that cannot open with a trunk prefix is refused before any context is read.
  if (!announced && !isGroupedLikePhone(text, start, end) && (digits < 9 || !opensLikeTrunk(text, start, end, options))) return false;
  // the word right before names something else ("dial-in code", "invoice no.")
  if (isRefused(text, start) || isAmount(text, start, end)) return false;
  if (announced && LOCAL_SHAPE.test(value)) return true;
  // Beside a mask or marker ("***-**-6789 0612…"): the number may have been glued to a value an earlier pass
  // redacted, and taking it now would make a second pass find what the first did not.
  if (isBesideRedaction(text, start, end)) return false;
  const national = matchNationalOnce(digitString(text, start, end), options);
  if (national === undefined) return false;
  if (announced) return true;
  // unannounced: written nationally with the trunk prefix, or at least grouped like a phone
  return national.form === 'trunk' ? digits >= 9 || isGroupedLikePhone(text, start, end) : isGroupedLikePhone(text, start, end);
}

/** Whether the first digit of the candidate at [start, end) is one a trunk-prefixed national number opens with. */
function opensLikeTrunk(text: string, start: number, end: number, options: ResolvedPhoneOptions): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (isDigitCode(code)) return (options.trunkOpenings & (1 << (code - 48))) !== 0;
  }
  return false;
}

// A marker an earlier pass wrote ("[phone:hmac:…]") says nothing about the number after it.
const MARKER_IN_CONTEXT = /\[[a-z][a-z0-9_]*:(?:hmac|tok)[^\]]*\]?/g;

/** Whether words before `start` say a phone follows. */
function isAnnounced(text: string, start: number): boolean {
  const window = text.slice(Math.max(0, start - CONTEXT_WINDOW), start).toLowerCase();
  return PHONE_CONTEXT.test(window.indexOf('[') === -1 ? window : window.replace(MARKER_IN_CONTEXT, ' '));
}

/** Whether the words just before `start` name something other than a phone. */
function isRefused(text: string, start: number): boolean {
  return precededBy(text, start, 20, NOT_A_PHONE);
}

/** Whether the word just before `start` or just after `end` holds a `*`, `[` or `]`: part of a mask or marker. */
function isBesideRedaction(text: string, start: number, end: number): boolean {
  let i = start - 1;
  while (i >= 0 && isSpaceCode(text.charCodeAt(i))) i--;
  for (; i >= 0 && !isSpaceCode(text.charCodeAt(i)) && i > start - 64; i--) if (isRedactionCode(text.charCodeAt(i))) return true;
  let j = end;
  while (j < text.length && isSpaceCode(text.charCodeAt(j))) j++;
  for (; j < text.length && !isSpaceCode(text.charCodeAt(j)) && j < end + 64; j++) if (isRedactionCode(text.charCodeAt(j))) return true;
  return false;
}

function isSpaceCode(code: number): boolean {
  return code === 32 || code === 160 || code === 10 || code === 9;
}

function isRedactionCode(code: number): boolean {
  return code === 42 || code === 91 || code === 93;
}

/** Whether the candidate at `start` goes on from an IPv6 address ("fe80::1 …", "2001:db8:1 …"). */
function continuesIpv6(text: string, start: number): boolean {
  if (text.charCodeAt(start - 1) !== 58) return false;
  const before = text.charCodeAt(start - 2);
  return before === 58 || (before >= 48 && before <= 57);
}

/** Where the phone at [start, end) ends once an extension written after it is taken in. */
function endWithExtension(text: string, end: number): number {
  EXTENSION.lastIndex = end;
  return EXTENSION.test(text) ? EXTENSION.lastIndex : end;
}

/** The length of the longest space-delimited prefix of the `+` candidate `value` at `start` that is an international phone, or 0. */
function longestInternationalPrefix(text: string, start: number, value: string): number {
  if (text.charCodeAt(start) !== 43) return 0;
  for (let end = value.lastIndexOf(' '); end > 0; end = value.lastIndexOf(' ', end - 1)) {
    const prefix = value.slice(0, end).replace(TRAILING_SEPARATORS, '');
    const digits = digitsBetween(text, start, start + prefix.length);
    if (digits >= MIN_DIGITS && digits <= MAX_DIGITS && isInternationalPhone(text, start, start + prefix.length, prefix)) return prefix.length;
  }
  return 0;
}

/** The span of `spans[0, count)` holding all of [start, end), or undefined. */
function spanHolding(spans: readonly PiiSpan[], count: number, start: number, end: number): PiiSpan | undefined {
  for (let i = 0; i < count; i++) {
    const span = spans[i]!;
    if (span.start <= start && span.end >= end) return span;
  }
  return undefined;
}

/**
 * Finds phones in `text` and adds them to `spans`. With `shadows`, a candidate lying inside a span already in
 * `spans` (another detector's, which outranks any phone inside it) is not judged, and that span goes into
 * `shadows`: the caller must check each one survives overlap resolution, or detect again without `shadows`.
 */
export type PhoneDetector = (text: string, runs: NumberRuns, spans: PiiSpan[], shadows?: PiiSpan[]) => void;

export function createPhoneDetector(options: PhoneOptions = {}): PhoneDetector {
  const regions = options.regions === undefined || options.regions.length === 0 ? DEFAULT_PHONE_REGIONS : options.regions;
  const resolved: ResolvedPhoneOptions = {
    defaultCountry: options.defaultCountry ?? 'US',
    regions,
    trunkOpenings: trunkOpeningDigits(regions),
    nationalVerdicts: nationalVerdictsFor(regions),
  };
  return (text, runs, spans, shadows) => {
    const othersFound = shadows === undefined ? 0 : spans.length;
    CANDIDATE.lastIndex = 0;
    for (let m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, LEADING_PLUS); m !== null; m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, LEADING_PLUS)) {
      const start = m.index;
      const end = CANDIDATE.lastIndex;
      if (digitsBetween(text, start, end) < MIN_DIGITS) continue;
      if (continuesIpv6(text, start)) {
        // the address's last group is no phone's first: look again from the next group
        const next = m[0].search(/[^\d]/);
        if (next > 0) CANDIDATE.lastIndex = start + next + 1;
        continue;
      }
      // Card numbers, SSNs and IP addresses are phone candidates too, and most are refused only after every
      // check has run. Inside such a find, a phone loses to it anyway. (A `+` candidate may be cut short and the
      // search go on inside it, so it is always judged: skipping it could change where the next one starts.)
      if (othersFound > 0 && text.charCodeAt(start) !== 43) {
        const holder = spanHolding(spans, othersFound, start, endWithExtension(text, end));
        if (holder !== undefined) {
          shadows!.push(holder);
          continue;
        }
      }
      if (isPhone(text, start, end, m[0], resolved)) {
        spans.push({ type: 'phone', start, end: endWithExtension(text, end) });
        continue;
      }
      // an international number may run into the next figure ("+44 20 7946 0958 10.1.2.3"): try shorter cuts
      const cut = longestInternationalPrefix(text, start, m[0]);
      if (cut > 0) {
        spans.push({ type: 'phone', start, end: start + cut });
        // the rest may hold a number of its own ("+44 20 7946 0958 / 020 7946 0000"): judge it afresh, as a
        // second pass over the redacted text would
        CANDIDATE.lastIndex = start + cut;
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

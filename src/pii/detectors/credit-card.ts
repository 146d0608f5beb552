// Payment card numbers: 12-19 digits, optionally grouped by spaces or dashes, with a valid Luhn check digit. A
// number with a major network's issuer prefix and one of the lengths it issues stands on its own; any other
// Luhn-valid number (Maestro's 12-19 digits, JCB's 15-digit 1800/2131, an issuer not listed) counts when words
// just before it speak of a card or a payment. Words like "order" or "IMEI" just before veto a number.
import type { PiiSpan } from '../types';
import { isLuhnValid } from '../checksums';
import { precededBy } from '../context';
import { execInRuns, type NumberRuns } from '../number-runs';

// Digit groups joined by one space or dash; validated per window below. The lookahead drops runs of fewer
// than 12 digits, too short to hold a card, before a match is built for them (most digit runs are short).
const CANDIDATE = /(?<![\w./*\]-])(?=\d(?:[ -]?\d){11})\d+(?:[ -]\d+)*/g;
const NOT_A_CARD = /\b(?:order|invoice|tracking|imei|serial|s\/n|sku|isbn|ticket|shipment|parcel|awb|booking|reference|ref|confirmation|conf|account|acct|iccid|meid|gtin|ean|upc|barcode|id|no)\b[^a-z]{0,6}$/;
const IS_A_CARD = /card|visa|master|amex|american express|discover|jcb|diners|maestro|unionpay|union pay|rupay|\bmir\b|credit|debit|\bcc\b|\bpan\b|payment|\bpaid\b|\bpay\b|charge|karte|carte|tarjeta|cartão|cartao|carta|kaart|kort|karta|kredit|crédit|crédito|credito/;
const CONTEXT_WINDOW = 32;
const MIN_DIGITS = 12;
const MAX_DIGITS = 19;

type Brand = readonly [prefixFrom: number, prefixTo: number, minLength: number, maxLength: number];

// Major networks' issuer prefixes (IIN ranges, 6 digits compared numerically) with the lengths each issues: a
// Luhn-valid number of these needs no words around it.
const BRANDS: readonly Brand[] = [
  [400000, 499999, 13, 19], // Visa (13, 16, 19 checked below)
  [510000, 559999, 16, 16], // Mastercard
  [222100, 272099, 16, 16], // Mastercard 2-series
  [220000, 220499, 16, 19], // Mir
  [340000, 349999, 15, 15], // American Express
  [370000, 379999, 15, 15], // American Express
  [300000, 305999, 14, 19], // Diners Club
  [309500, 309599, 14, 19], // Diners Club
  [360000, 369999, 14, 19], // Diners Club
  [380000, 399999, 14, 19], // Diners Club
  [352800, 358999, 16, 19], // JCB
  [601100, 601199, 16, 19], // Discover
  [644000, 659999, 16, 19], // Discover
  [620000, 629999, 16, 19], // UnionPay
  [810000, 829999, 16, 19], // UnionPay / RuPay
  [600000, 609999, 16, 16], // RuPay
  [636368, 636368, 16, 16], // Elo
  [606282, 606282, 16, 16], // Hipercard
  [637000, 639999, 16, 16], // InstaPayment
  [979200, 979299, 16, 16], // Troy
];

/** Whether a card number of `length` digits whose first six are `prefix` has a major issuer that issues that length. */
export function hasKnownIssuer(prefix: number, length: number): boolean {
  if (prefix >= 400000 && prefix <= 499999) return length === 13 || length === 16 || length === 19;
  for (let i = 0; i < BRANDS.length; i++) {
    const brand = BRANDS[i]!;
    if (prefix >= brand[0] && prefix <= brand[1] && length >= brand[2] && length <= brand[3]) return true;
  }
  return false;
}

/**
 * A candidate run as digit groups, kept as offsets into the text: `[start, end)` of group k at 2k, 2k+1. Cards
 * are judged in place, never by building digit strings, because most runs tried are not cards. Refilled for each
 * candidate (detection is synchronous), so judging one allocates nothing once it has grown.
 */
let bounds: Int32Array = new Int32Array(32);

/** Fills `bounds` with the groups of `text.slice(from, to)` and returns how many there are. */
function fillGroupBounds(text: string, from: number, to: number): number {
  let at = 0;
  bounds[at++] = from;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 45) continue;
    if (at + 3 > bounds.length) bounds = grown(bounds);
    bounds[at++] = i;
    bounds[at++] = i + 1;
  }
  bounds[at++] = to;
  return at / 2;
}

function grown(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** The first six digits of the groups from `first` on, as a number. */
function issuerPrefix(text: string, first: number): number {
  let prefix = 0;
  let taken = 0;
  for (let i = bounds[2 * first]!; taken < 6; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    prefix = prefix * 10 + code - 48;
    taken++;
  }
  return prefix;
}

/** Groups must be card-like (3 to 6 digits, the last may be shorter) and share one separator. */
function hasCardGrouping(text: string, first: number, last: number): boolean {
  if (first === last) return true;
  const separator = text.charCodeAt(bounds[2 * first + 1]!);
  for (let k = first; k <= last; k++) {
    const length = bounds[2 * k + 1]! - bounds[2 * k]!;
    if (length > 6 || (length < 3 && k !== last)) return false;
    if (k < last && text.charCodeAt(bounds[2 * k + 1]!) !== separator) return false;
  }
  return true;
}

/** A candidate run, and whether the words before it speak of a card: read once, and only when a window asks. */
interface Candidate {
  readonly text: string;
  start: number;
  announced: boolean | undefined;
}

function isAnnounced(candidate: Candidate): boolean {
  return (candidate.announced ??= precededBy(candidate.text, candidate.start, CONTEXT_WINDOW, IS_A_CARD));
}

/** The last group index of the longest card number starting at group `first`, or -1. With `candidate`, a
 *  Luhn-valid number of any length counts when the words before the candidate speak of a card. */
function longestCardWindow(text: string, groups: number, first: number, candidate: Candidate | undefined): number {
  let digits = 0;
  let prefix = -1;
  let best = -1;
  for (let j = first; j < groups && digits < MAX_DIGITS; j++) {
    digits += bounds[2 * j + 1]! - bounds[2 * j]!;
    if (digits < MIN_DIGITS || digits > MAX_DIGITS) continue;
    if (!isLuhnValid(text, bounds[2 * first]!, bounds[2 * j + 1]!) || !hasCardGrouping(text, first, j)) continue;
    if (prefix === -1) prefix = issuerPrefix(text, first);
    if (hasKnownIssuer(prefix, digits) || (candidate !== undefined && isAnnounced(candidate))) best = j;
  }
  return best;
}

export function detectCreditCards(text: string, runs: NumberRuns, spans: PiiSpan[]): void {
  if (runs.maxDigits < MIN_DIGITS) return;
  const candidate: Candidate = { text, start: 0, announced: undefined };
  CANDIDATE.lastIndex = 0;
  for (let m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, 0); m !== null; m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, 0)) {
    // The run may glue a card to a neighbouring number ("4111 1111 1111 1111 12 25"): try group windows.
    const groups = fillGroupBounds(text, m.index, m.index + m[0].length);
    candidate.start = m.index;
    candidate.announced = undefined;
    for (let i = 0; i < groups; i++) {
      // a number without a major issuer's prefix must be the whole run: "card 1234 5678 9012 3456" holds no card
      const last = longestCardWindow(text, groups, i, i === 0 ? candidate : undefined);
      if (last === -1) continue;
      const start = bounds[2 * i]!;
      if (!isAnnounced(candidate) && precededBy(text, start, CONTEXT_WINDOW, NOT_A_CARD)) continue;
      spans.push({ type: 'credit_card', start, end: bounds[2 * last + 1]! });
      i = last;
    }
  }
}

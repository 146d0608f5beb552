// Payment card numbers: 13-19 digits, optionally grouped by spaces or dashes, with a known issuer prefix
// for their length and a valid Luhn check digit. Words just before the number can veto it (an order id).
import type { PiiSpan } from '../types';
import { isLuhnValid } from '../checksums';
import { precededBy } from '../context';
import { execInRuns, type NumberRuns } from '../number-runs';

// Digit groups joined by one space or dash; validated per window below. The lookahead drops runs of fewer
// than 13 digits, too short to hold a card, before a match is built for them (most digit runs are short).
const CANDIDATE = /(?<![\w./*\]-])(?=\d(?:[ -]?\d){12})\d+(?:[ -]\d+)*/g;
const NOT_A_CARD = /\b(?:order|invoice|tracking|imei|serial|s\/n|sku|isbn|ticket|shipment|parcel|awb|booking|reference|ref|confirmation|conf|account|acct|iccid|meid|gtin|ean|upc|barcode|id|no)\b[^a-z]{0,6}$/;
const IS_A_CARD = /card|visa|master|amex|american express|discover|jcb|diners|maestro|unionpay|credit|debit|\bcc\b|\bpan\b|payment|paid/;
const CONTEXT_WINDOW = 32;
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

type Brand = readonly [prefixFrom: number, prefixTo: number, minLength: number, maxLength: number];

// Issuer prefixes (IIN ranges) with the lengths each network issues; 6-digit prefixes compared numerically.
const BRANDS: readonly Brand[] = [
  [400000, 499999, 13, 19], // Visa (13, 16, 19 checked below)
  [510000, 559999, 16, 16], // Mastercard
  [222100, 272099, 16, 16], // Mastercard 2-series
  [220000, 220499, 16, 19], // Mir
  [340000, 349999, 15, 15], // American Express
  [370000, 379999, 15, 15], // American Express
  [300000, 305999, 14, 19], // Diners Club
  [360000, 369999, 14, 19], // Diners Club
  [380000, 399999, 16, 19], // Diners Club
  [352800, 358999, 16, 19], // JCB
  [601100, 601199, 16, 19], // Discover
  [644000, 659999, 16, 19], // Discover
  [622126, 622925, 16, 19], // Discover / UnionPay co-brand
  [620000, 629999, 16, 19], // UnionPay
  [810000, 829999, 16, 19], // UnionPay / RuPay
  [600000, 609999, 16, 16], // RuPay
  [500000, 509999, 12, 19], // Maestro, Verve, Dankort
  [560000, 599999, 12, 19], // Maestro
  [630400, 630499, 12, 19], // Maestro
  [675900, 676399, 12, 19], // Maestro
  [636368, 636368, 16, 16], // Elo
  [606282, 606282, 16, 16], // Hipercard
  [637000, 639999, 16, 16], // InstaPayment
  [979200, 979299, 16, 16], // Troy
];

/** Whether a card number of `length` digits whose first six are `prefix` has an issuer that issues that length. */
export function hasKnownIssuer(prefix: number, length: number): boolean {
  if (prefix >= 400000 && prefix <= 499999) return length === 13 || length === 16 || length === 19;
  return BRANDS.some(([from, to, min, max]) => prefix >= from && prefix <= to && length >= min && length <= max);
}

/**
 * A candidate run as digit groups, kept as offsets into the text: `[start, end)` of group k at 2k, 2k+1. Cards
 * are judged in place, never by building digit strings, because most runs tried are not cards.
 */
function groupBounds(text: string, from: number, to: number): number[] {
  const bounds = [from];
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 45) bounds.push(i, i + 1);
  }
  bounds.push(to);
  return bounds;
}

/** The first six digits of the groups from `first` on, as a number. */
function issuerPrefix(text: string, bounds: readonly number[], first: number): number {
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
function hasCardGrouping(text: string, bounds: readonly number[], first: number, last: number): boolean {
  if (first === last) return true;
  const separator = text.charCodeAt(bounds[2 * first + 1]!);
  for (let k = first; k <= last; k++) {
    const length = bounds[2 * k + 1]! - bounds[2 * k]!;
    if (length > 6 || (length < 3 && k !== last)) return false;
    if (k < last && text.charCodeAt(bounds[2 * k + 1]!) !== separator) return false;
  }
  return true;
}

/** The last group index of the longest card number starting at group `first`, or -1. */
function longestCardWindow(text: string, bounds: readonly number[], first: number): number {
  const groups = bounds.length / 2;
  let digits = 0;
  let prefix = -1;
  let best = -1;
  for (let j = first; j < groups && digits < MAX_DIGITS; j++) {
    digits += bounds[2 * j + 1]! - bounds[2 * j]!;
    if (digits < MIN_DIGITS || digits > MAX_DIGITS) continue;
    if (prefix === -1) prefix = issuerPrefix(text, bounds, first);
    if (hasKnownIssuer(prefix, digits) && isLuhnValid(text, bounds[2 * first]!, bounds[2 * j + 1]!) && hasCardGrouping(text, bounds, first, j)) {
      best = j;
    }
  }
  return best;
}

export function detectCreditCards(text: string, runs: NumberRuns, spans: PiiSpan[]): void {
  CANDIDATE.lastIndex = 0;
  for (let m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, 0); m !== null; m = execInRuns(CANDIDATE, text, runs, MIN_DIGITS, 0)) {
    // The run may glue a card to a neighbouring number ("4111 1111 1111 1111 12 25"): try group windows.
    const bounds = groupBounds(text, m.index, m.index + m[0].length);
    for (let i = 0; i < bounds.length / 2; i++) {
      const last = longestCardWindow(text, bounds, i);
      if (last === -1) continue;
      const start = bounds[2 * i]!;
      if (precededBy(text, start, CONTEXT_WINDOW, NOT_A_CARD) && !precededBy(text, start, CONTEXT_WINDOW, IS_A_CARD)) continue;
      spans.push({ type: 'credit_card', start, end: bounds[2 * last + 1]! });
      i = last;
    }
  }
}

// Payment card numbers: 13-19 digits, optionally grouped by spaces or dashes, with a known issuer prefix
// for their length and a valid Luhn check digit. Words just before the number can veto it (an order id).
import type { PiiSpan } from '../types';
import { isLuhnValid } from '../checksums';
import { precededBy } from '../context';

// Digit groups joined by one space or dash; validated per window below. The lookahead drops runs of fewer
// than 13 digits, too short to hold a card, before a match is built for them (most digit runs are short).
const CANDIDATE = /(?<![\w./*\]-])(?=\d(?:[ -]?\d){12})\d+(?:[ -]\d+)*/g;
const NOT_A_CARD = /\b(?:order|invoice|tracking|imei|serial|s\/n|sku|isbn|ticket|shipment|parcel|awb|booking|reference|ref|confirmation|conf|account|acct|iccid|meid|gtin|ean|upc|barcode|id|no)\b[^a-z]{0,6}$/;
const IS_A_CARD = /card|visa|master|amex|american express|discover|jcb|diners|maestro|unionpay|credit|debit|\bcc\b|\bpan\b|payment|paid/;
const CONTEXT_WINDOW = 32;

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

export function hasKnownIssuer(digits: string): boolean {
  const prefix = Number(digits.slice(0, 6));
  const length = digits.length;
  if (digits[0] === '4') return length === 13 || length === 16 || length === 19;
  return BRANDS.some(([from, to, min, max]) => prefix >= from && prefix <= to && length >= min && length <= max);
}

/** Groups must be card-like (3 to 6 digits, the last may be shorter) and share one separator. */
function hasCardGrouping(groups: readonly string[], separators: string): boolean {
  if (groups.length === 1) return true;
  if (new Set(separators).size > 1) return false;
  return groups.every((g, i) => g.length <= 6 && (g.length >= 3 || i === groups.length - 1));
}

function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && hasKnownIssuer(digits) && isLuhnValid(digits);
}

/** The last group index of the longest card number starting at group `first`, or -1. */
function longestCardWindow(groups: readonly string[], separators: string, first: number): number {
  let digits = '';
  let best = -1;
  for (let j = first; j < groups.length && digits.length < 19; j++) {
    digits += groups[j];
    if (isCardNumber(digits) && hasCardGrouping(groups.slice(first, j + 1), separators.slice(first, j))) best = j;
  }
  return best;
}

export function detectCreditCards(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const run = m[0];
    const groups = run.split(/[ -]/);
    const separators = run.replace(/\d/g, '');
    // The run may glue a card to a neighbouring number ("4111 1111 1111 1111 12 25"): try group windows.
    let offset = 0;
    const starts = groups.map((g) => ((offset += g.length + 1), offset - g.length - 1));
    for (let i = 0; i < groups.length; i++) {
      const last = longestCardWindow(groups, separators, i);
      if (last === -1) continue;
      const start = m.index + starts[i]!;
      if (precededBy(text, start, CONTEXT_WINDOW, NOT_A_CARD) && !precededBy(text, start, CONTEXT_WINDOW, IS_A_CARD)) continue;
      spans.push({ type: 'credit_card', start, end: m.index + starts[last]! + groups[last]!.length });
      i = last;
    }
  }
  return spans;
}

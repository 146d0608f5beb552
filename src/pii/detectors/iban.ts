// IBANs, compact or printed in groups of four: the country's registered length decides where one ends,
// then ibantools checks the country's BBAN structure and our arithmetic checks the mod-97 check digits.
import { countrySpecs, isValidBBAN } from 'ibantools';
import type { PiiSpan } from '../types';
import { isDigit, isWordChar } from '../context';
import { isMod97Valid } from '../checksums';

const CANDIDATE = /(?<![A-Za-z0-9*\]])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){8,34}/g;

function ibanLength(country: string): number | undefined {
  return countrySpecs[country]?.chars ?? undefined;
}

/**
 * The same verdict as ibantools' `isValidIBAN`, whose checksum builds several strings per candidate: check
 * digits 02-98 that make the whole 1 modulo 97 (its `98 - remainder` rule admits exactly those), and a BBAN
 * of the country's registered format.
 */
function isValidIban(compact: string, country: string, length: number): boolean {
  if (compact.length !== length || !isDigit(compact.charCodeAt(2)) || !isDigit(compact.charCodeAt(3))) return false;
  const check = (compact.charCodeAt(2) - 48) * 10 + (compact.charCodeAt(3) - 48);
  return check >= 2 && check <= 98 && isMod97Valid(compact) && isValidBBAN(compact.slice(4), country);
}

/** Returns where the IBAN starting at `start` ends, or -1 if none does. */
function matchIban(text: string, start: number, limit: number): number {
  const country = text.slice(start, start + 2).toUpperCase();
  const length = ibanLength(country);
  if (length === undefined) return -1;
  let compact = '';
  let end = start;
  while (end < limit && compact.length < length) {
    const ch = text[end]!;
    if (ch !== ' ') compact += ch;
    end++;
  }
  if (compact.length !== length) return -1;
  // the next character must not continue the token: "DE89...3000X" is not this IBAN
  if (end < text.length && isWordChar(text.charCodeAt(end))) return -1;
  return isValidIban(compact.toUpperCase(), country, length) ? end : -1;
}

export function detectIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const end = matchIban(text, m.index, m.index + m[0].length);
    if (end === -1) {
      // a later word inside this candidate may start the real IBAN
      CANDIDATE.lastIndex = m.index + 1;
      continue;
    }
    spans.push({ type: 'iban', start: m.index, end });
    CANDIDATE.lastIndex = end;
  }
  return spans;
}

// IBANs, compact or printed in groups of four: the country's registered length decides where one ends,
// then ibantools checks the country's BBAN structure and our arithmetic checks the mod-97 check digits.
import { countrySpecs, isValidBBAN } from 'ibantools';
import type { PiiSpan } from '../types';
import { isDigit, isWordChar } from '../context';
import { foldMod97 } from '../checksums';

const CANDIDATE = /(?<![A-Za-z0-9*\]])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){8,34}/g;

/** Registered IBAN length per country, indexed by the two upper-case letters, 0 for none: no string per lookup. */
const LENGTHS = new Uint8Array(26 * 26);
for (const [country, spec] of Object.entries(countrySpecs)) {
  if (/^[A-Z]{2}$/.test(country) && spec.chars !== undefined) LENGTHS[countryIndex(country, 0)] = spec.chars;
}

/** The LENGTHS index of the two ASCII letters at `at`, either case. */
function countryIndex(text: string, at: number): number {
  return ((text.charCodeAt(at) & ~0x20) - 65) * 26 + (text.charCodeAt(at + 1) & ~0x20) - 65;
}

/**
 * The same verdict as ibantools' `isValidIBAN` on the IBAN in `text.slice(start, end)` (spaces ignored), whose
 * checksum builds several strings per candidate: check digits 02-98 that make the whole 1 modulo 97 (its
 * `98 - remainder` rule admits exactly those), and a BBAN of the country's registered format.
 */
function isValidIban(text: string, start: number, end: number): boolean {
  if (!isDigit(text.charCodeAt(start + 2)) || !isDigit(text.charCodeAt(start + 3))) return false;
  const check = (text.charCodeAt(start + 2) - 48) * 10 + (text.charCodeAt(start + 3) - 48);
  if (check < 2 || check > 98) return false;
  // the country code and check digits move to the end
  if (foldMod97(foldMod97(0, text, start + 4, end), text, start, start + 4) !== 1) return false;
  const compact = text.slice(start, end).replace(/ /g, '').toUpperCase();
  return isValidBBAN(compact.slice(4), compact.slice(0, 2));
}

/** Returns where the IBAN starting at `start` ends, or -1 if none does. */
function matchIban(text: string, start: number, limit: number): number {
  const length = LENGTHS[countryIndex(text, start)]!;
  if (length === 0) return -1;
  let count = 0;
  let end = start;
  while (end < limit && count < length) {
    if (text.charCodeAt(end) !== 32) count++;
    end++;
  }
  if (count !== length) return -1;
  // the next character must not continue the token: "DE89...3000X" is not this IBAN
  if (end < text.length && isWordChar(text.charCodeAt(end))) return -1;
  return isValidIban(text, start, end) ? end : -1;
}

export function detectIbans(text: string, spans: PiiSpan[]): void {
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
}

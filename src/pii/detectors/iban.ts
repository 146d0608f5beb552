// IBANs, compact or printed in groups of four: the country's registered length decides where one ends,
// then ibantools checks the structure and the mod-97 check digits.
import { countrySpecs, isValidIBAN } from 'ibantools';
import type { PiiSpan } from '../types';
import { isWordChar } from '../context';

const CANDIDATE = /(?<![A-Za-z0-9*\]])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){8,34}/g;

function ibanLength(country: string): number | undefined {
  return countrySpecs[country]?.chars ?? undefined;
}

/** Returns where the IBAN starting at `start` ends, or -1 if none does. */
function matchIban(text: string, start: number, limit: number): number {
  const length = ibanLength(text.slice(start, start + 2).toUpperCase());
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
  return isValidIBAN(compact.toUpperCase()) ? end : -1;
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

// Fast checks for the two common phone shapes, from libphonenumber-js metadata and NANP rules. A full parse
// costs tens of microseconds; these lookups cost well under one.
import { Metadata, getCountries, getCountryCallingCode } from 'libphonenumber-js';

const metadata = new Metadata();
/**
 * Possible national lengths per calling code (1-999), as a bit per length, united over every country sharing the
 * code (+1, +44, +7…). Indexed by number, so checking a candidate builds no strings.
 */
const LENGTHS_BY_CALLING_CODE = new Uint32Array(1000);
for (const country of getCountries()) {
  const code = getCountryCallingCode(country) as string;
  // numeric indexing relies on this: "1" and "01" must never both be codes
  if (code.startsWith('0')) throw new Error(`calling code ${code} starts with 0`);
  metadata.selectNumberingPlan(country);
  for (const length of metadata.numberingPlan?.possibleLengths() ?? []) LENGTHS_BY_CALLING_CODE[Number(code)]! |= 1 << length;
}

/**
 * Whether the digits of `text.slice(from, to)` (everything after the `+`), leaving out those in [skipFrom,
 * skipTo), have a calling code and a length possible for it. Other characters are ignored.
 */
export function isPossibleInternational(text: string, from: number, to: number, skipFrom = -1, skipTo = -1): boolean {
  let digits = 0;
  let code = 0;
  let codeDigits = 0;
  let lengths = 0;
  for (let i = from; i < to; i++) {
    const char = text.charCodeAt(i);
    if (!isDigitCode(char) || (i >= skipFrom && i < skipTo)) continue;
    digits++;
    // the calling code is the shortest prefix of one to three digits that is one
    if (lengths !== 0 || digits > 3) continue;
    code = code * 10 + char - 48;
    if (code === 0) return false;
    lengths = LENGTHS_BY_CALLING_CODE[code]!;
    codeDigits = digits;
  }
  const national = digits - codeDigits;
  return lengths !== 0 && national < 32 && (lengths & (1 << national)) !== 0;
}

/**
 * Whether the digits of `text.slice(from, to)` make a valid North American number: area code [2-9][0-8]X,
 * exchange [2-9]XX, then four digits, optionally after the country code 1. Other characters are ignored.
 */
export function isValidNanpNumber(text: string, from: number, to: number): boolean {
  let digits = 0;
  for (let i = from; i < to; i++) if (isDigitCode(text.charCodeAt(i))) digits++;
  if (digits !== 10 && digits !== 11) return false;
  // the position of each digit within the ten-digit national number
  let position = digits === 11 ? -1 : 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (!isDigitCode(code)) continue;
    const digit = code - 48;
    if (position === -1 && digit !== 1) return false;
    if ((position === 0 || position === 3) && digit < 2) return false;
    if (position === 1 && digit === 9) return false;
    position++;
  }
  return true;
}

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

// Check-digit algorithms used to tell real identifiers from look-alike digit runs.

/** Luhn (ISO/IEC 7812) over the digits of `value` (or of `value.slice(from, to)`); other characters are ignored. */
export function isLuhnValid(value: string, from = 0, to = value.length): boolean {
  let sum = 0;
  let count = 0;
  let double = false;
  for (let i = to - 1; i >= from; i--) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    let digit = code - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
    count++;
  }
  return count > 1 && sum % 10 === 0;
}

/**
 * Folds the ASCII letters and digits of `value.slice(from, to)` into a running ISO 7064 MOD 97-10 remainder,
 * letters counting 10..35 whatever their case; other characters are skipped.
 */
export function foldMod97(remainder: number, value: string, from: number, to: number): number {
  let folded = remainder;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    if (code >= 48 && code <= 57) folded = (folded * 10 + code - 48) % 97;
    else if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) folded = (folded * 100 + (code & ~0x20) - 55) % 97;
  }
  return folded;
}

/**
 * ISO 7064 MOD 97-10 as IBAN uses it: the first four characters move to the end, letters become 10..35,
 * and the whole must be 1 modulo 97. Non-alphanumerics are ignored; anything else fails.
 */
export function isMod97Valid(value: string): boolean {
  // where the fifth letter or digit starts: the first four move to the end
  let fifth = 0;
  for (let seen = 0; fifth < value.length && seen < 4; fifth++) if (isAsciiAlphanumeric(value.charCodeAt(fifth))) seen++;
  let total = 0;
  for (let i = fifth; i < value.length; i++) if (isAsciiAlphanumeric(value.charCodeAt(i))) total++;
  if (total < 1) return false;
  return foldMod97(foldMod97(0, value, fifth, value.length), value, 0, fifth) === 1;
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

// Check-digit algorithms used to tell real identifiers from look-alike digit runs.

/** Luhn (ISO/IEC 7812) over the digits of `value`; other characters are ignored. */
export function isLuhnValid(value: string): boolean {
  let sum = 0;
  let count = 0;
  let double = false;
  for (let i = value.length - 1; i >= 0; i--) {
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
 * ISO 7064 MOD 97-10 as IBAN uses it: the first four characters move to the end, letters become 10..35,
 * and the whole must be 1 modulo 97. Non-alphanumerics are ignored; anything else fails.
 */
export function isMod97Valid(value: string): boolean {
  const chars = value.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  if (chars.length < 5) return false;
  const rearranged = chars.slice(4) + chars.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    const value = code <= 57 ? code - 48 : code - 55;
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

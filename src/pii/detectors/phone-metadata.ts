// Fast checks for the two common phone shapes, from libphonenumber-js metadata and NANP rules. A full parse
// costs tens of microseconds; these lookups cost well under one.
import { Metadata, getCountries, getCountryCallingCode } from 'libphonenumber-js';

const metadata = new Metadata();
// Possible national lengths per calling code, united over every country sharing the code (+1, +44, +7…).
const LENGTHS_BY_CALLING_CODE = new Map<string, Set<number>>();
for (const country of getCountries()) {
  const code = getCountryCallingCode(country) as string;
  metadata.selectNumberingPlan(country);
  const lengths = LENGTHS_BY_CALLING_CODE.get(code) ?? new Set<number>();
  for (const length of metadata.numberingPlan?.possibleLengths() ?? []) lengths.add(length);
  LENGTHS_BY_CALLING_CODE.set(code, lengths);
}

/** Whether `digits` (everything after the `+`) has a calling code and a length possible for it. */
export function isPossibleInternational(digits: string): boolean {
  for (let size = 1; size <= 3; size++) {
    const lengths = LENGTHS_BY_CALLING_CODE.get(digits.slice(0, size));
    if (lengths !== undefined) return lengths.has(digits.length - size);
  }
  return false;
}

// NANP: area code [2-9][0-8]X, exchange [2-9]XX, then four digits (optionally after the country code 1).
const NANP_NUMBER = /^1?[2-9][0-8]\d[2-9]\d{6}$/;

/** Whether a digits-only string is a valid North American number. */
export function isValidNanpDigits(digits: string): boolean {
  return NANP_NUMBER.test(digits);
}

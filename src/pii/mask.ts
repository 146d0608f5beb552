// Format-preserving partial reveal: separators stay, only an allowed prefix or suffix stays readable.
// Also recognises its own output so masking a masked value is a no-op.
import type { PiiType } from './types';

const ALNUM = /[A-Za-z0-9]/g;

/**
 * Replaces every ASCII letter and digit with `*` except the first `keepFirst` and the last `keepLast` of them.
 * The boundaries are found by hand and the middle is masked by one native replace, not a string per character.
 */
function maskAlnum(value: string, keepFirst: number, keepLast: number): string {
  if (keepFirst + keepLast >= countAlnum(value)) return value;
  let from = 0; // just after the last kept leading character
  for (let seen = 0; seen < keepFirst; from++) if (isAlnum(value.charCodeAt(from))) seen++;
  let to = value.length; // at the first kept trailing character
  for (let seen = 0; seen < keepLast; ) if (isAlnum(value.charCodeAt(--to))) seen++;
  return value.slice(0, from) + value.slice(from, to).replace(ALNUM, '*') + value.slice(to);
}

function countAlnum(value: string): number {
  let total = 0;
  for (let i = 0; i < value.length; i++) if (isAlnum(value.charCodeAt(i))) total++;
  return total;
}

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Digits a masked phone keeps: enough to recognise a number you know, never enough to dial it. */
export function phoneDigitsKept(totalDigits: number): number {
  return totalDigits >= 10 ? 4 : totalDigits >= 8 ? 3 : 2;
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  return at <= 0 ? maskAlnum(value, 0, 0) : `${value[0]}***${value.slice(at)}`;
}

function maskIp(value: string): string {
  if (value.includes('.') && !value.includes(':')) return `${value.slice(0, value.indexOf('.'))}.*.*.*`;
  const first = value.slice(0, value.indexOf(':'));
  return `${first === '' ? '*' : first}:*:*:*:*:*:*:*`;
}

/** Masks one detected value of `type`. Types it does not know (custom, whole fields) are masked entirely. */
export function maskValue(type: PiiType, value: string): string {
  switch (type) {
    case 'ssn':
    case 'credit_card':
      return maskAlnum(value, 0, 4);
    case 'phone':
      return maskAlnum(value, 0, phoneDigitsKept(countAlnum(value)));
    case 'iban':
      return maskAlnum(value, 2, 4);
    case 'email':
      return maskEmail(value);
    case 'ip_address':
      return maskIp(value);
    default:
      return maskAlnum(value, 0, 0);
  }
}

const MASKED_SHAPES: readonly RegExp[] = [
  /^[+\s().\-/*]*\*[\s().\-/*]*(?:\d[\s().\-/]*){0,4}$/, // ssn, card, phone: masked digits, then at most 4 clear
  /^[^@\s]\*\*\*@[^@\s]+$/, // email
  /^[A-Za-z]{2}[*\s]*\*[*\s]*(?:[A-Za-z0-9]\s?){0,4}$/, // iban
  /^\d{1,3}(?:\.\*){3}$/, // ipv4
  /^[0-9A-Fa-f*]{1,4}(?::\*){7}$/, // ipv6
];

/** Whether `value` already is the output of `maskValue` (or holds no letter or digit at all). */
export function isMasked(value: string): boolean {
  if (!/[A-Za-z0-9]/.test(value)) return true;
  return value.includes('*') && MASKED_SHAPES.some((shape) => shape.test(value));
}

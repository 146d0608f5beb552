// Format-preserving partial reveal: separators stay, only an allowed prefix or suffix stays readable.
// Also recognises its own output so masking a masked value is a no-op.
import type { PiiType } from './types';

const STARS = '*'.repeat(64);

/** `length` stars; short ones are cut from a ready string rather than built. */
function stars(length: number): string {
  return length <= STARS.length ? STARS.slice(0, length) : '*'.repeat(length);
}

// Where the letters and digits of the value being masked sit. Reused for the short values detectors find, so
// masking them allocates no array; a longer value (a whole field) gets its own.
const SCRATCH_LENGTH = 256;
const scratch = new Int32Array(SCRATCH_LENGTH);

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/**
 * Replaces every ASCII letter and digit with `*` except the first `keepFirst` and the last `keepLast` of them
 * (`keepLast` may depend on how many there are). `value` is `text.slice(start, start + value.length)`, and is
 * read from `text`: a slice comes in more internal forms than the texts it is cut from, which makes reading it
 * slow. Each character is read once, to note where the letters and digits are; the masked value is then built
 * a run at a time, stars for letters and digits, separators sliced as they are.
 */
function maskAlnum(value: string, keepFirst: number, keepLast: number | ((count: number) => number), text: string, start: number): string {
  const length = value.length;
  const positions = length <= SCRATCH_LENGTH ? scratch : new Int32Array(length);
  let count = 0;
  for (let i = 0; i < length; i++) if (isAlnum(text.charCodeAt(start + i))) positions[count++] = start + i;
  const last = count - (typeof keepLast === 'number' ? keepLast : keepLast(count)); // the first kept at the end
  if (keepFirst >= last) return value;
  // from just after the last character kept at the start: slice the separators between runs, star the runs
  let cursor = keepFirst === 0 ? start : positions[keepFirst - 1]! + 1;
  let masked = text.slice(start, cursor);
  for (let k = keepFirst; k < last; ) {
    let run = k + 1;
    while (run < last && positions[run] === positions[run - 1]! + 1) run++;
    masked += text.slice(cursor, positions[k]) + stars(run - k);
    cursor = positions[run - 1]! + 1;
    k = run;
  }
  return masked + text.slice(cursor, start + length);
}

/** Digits a masked phone keeps: enough to recognise a number you know, never enough to dial it. */
export function phoneDigitsKept(totalDigits: number): number {
  return totalDigits >= 10 ? 4 : totalDigits >= 8 ? 3 : 2;
}

/** The last `@` of `value`, or -1. Detected addresses hold one, found by the fast forward search. */
function lastAt(value: string): number {
  const first = value.indexOf('@');
  return first === -1 || value.indexOf('@', first + 1) === -1 ? first : value.lastIndexOf('@');
}

function maskEmail(value: string, text: string, start: number): string {
  const at = lastAt(value);
  return at <= 0 ? maskAlnum(value, 0, 0, text, start) : `${value[0]}***${value.slice(at)}`;
}

function maskIp(value: string): string {
  if (value.includes('.') && !value.includes(':')) return `${value.slice(0, value.indexOf('.'))}.*.*.*`;
  const first = value.slice(0, value.indexOf(':'));
  return `${first === '' ? '*' : first}:*:*:*:*:*:*:*`;
}

/**
 * Masks one detected value of `type`. Types it does not know (custom, whole fields) are masked entirely. A caller
 * that cut `value` from a text may pass the text and where the value starts in it, to be read instead.
 */
export function maskValue(type: PiiType, value: string, text = value, start = 0): string {
  switch (type) {
    case 'ssn':
    case 'credit_card':
      return maskAlnum(value, 0, 4, text, start);
    case 'phone':
      return maskAlnum(value, 0, phoneDigitsKept, text, start);
    case 'iban':
      return maskAlnum(value, 2, 4, text, start);
    case 'email':
      return maskEmail(value, text, start);
    case 'ip_address':
      return maskIp(value);
    default:
      return maskAlnum(value, 0, 0, text, start);
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

// Masking a value changes the text around it, so redaction detects again until a round finds nothing new
// (src/pii/redact.ts). That second detection is needed only where a mask can change how a neighbour is judged:
// here is a check, far cheaper than detecting again, that masking some spans cannot.
//
// A span is final once masked when its mask only turns digits into `*`, one for one (a card number, SSN or phone
// written without letters or `:`), and nothing beside it can be judged with it: whitespace or the start of the
// text before it, whitespace, the end or closing punctuation after it, and no other digit in its number run.
// Then every candidate of a second detection either lies inside the mask (four digits at most are left, fewer
// than any digit detector needs) or outside its run, where the words and punctuation any detector reads are the
// same as before, at the same distances: a `*` is, like the digit it replaces, not a letter, and whitespace
// keeps it from any word boundary. An IPv4 mask is shorter than the address, which moves the words before a
// later number closer to it; emails and IBANs keep or star letters, which can change the words a later number
// is judged by. So such a mask is final only with no digit after it (no later number to judge), or when the
// value is the whole text (a field holding one address or IBAN). Its mask holds too few digits for any digit
// detector, no `@` after a local part and no colon pair; only an email's domain stays as it was, so an email is
// final when its domain holds no digit.
import type { PiiSpan } from './types';
import { isAsciiLetter, isDigit } from './context';
import { isRunPunctuation } from './number-runs';

/** Types whose mask stars digits one for one and leaves letters and punctuation as they are. */
const DIGIT_MASKED_TYPES: ReadonlySet<string> = new Set(['ssn', 'credit_card', 'phone']);

/** Space, tab, line breaks and no-break space. */
function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 160;
}

/** What may follow a final span: the end of a clause, a quote or a bracket closing around it. */
function isClosing(code: number): boolean {
  return code === 44 || code === 46 || code === 59 || code === 33 || code === 63 || code === 41 || code === 34 || code === 39;
}

/** Whether the span's own characters are digits and punctuation only: its mask changes digits alone. */
function masksDigitsOnly(text: string, span: PiiSpan): boolean {
  for (let i = span.start; i < span.end; i++) {
    const code = text.charCodeAt(i);
    if (isAsciiLetter(code) || code === 58) return false;
  }
  return true;
}

/** Whether the number run around `span` holds no digit outside it. */
function isAloneInRun(text: string, span: PiiSpan): boolean {
  for (let i = span.start - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) return false;
    if (!isRunPunctuation(code)) break;
  }
  for (let i = span.end; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) return false;
    if (!isRunPunctuation(code)) break;
  }
  return true;
}

function isSetApart(text: string, span: PiiSpan): boolean {
  const before = span.start === 0 ? 32 : text.charCodeAt(span.start - 1);
  const after = span.end === text.length ? 32 : text.charCodeAt(span.end);
  return isWhitespace(before) && (isWhitespace(after) || isClosing(after)) && isAloneInRun(text, span);
}

/** Whether the email's domain (after its last `@`) holds no digit. */
function hasDigitFreeDomain(text: string, span: PiiSpan): boolean {
  for (let i = span.end - 1; i >= span.start; i--) {
    const code = text.charCodeAt(i);
    if (code === 64) return true;
    if (isDigit(code)) return false;
  }
  return true;
}

/** Whether the mask of `span`, the whole of `text`, is final: it is all a second detection would read. */
function isFinalAlone(text: string, span: PiiSpan): boolean {
  return span.type !== 'email' || hasDigitFreeDomain(text, span);
}

/**
 * Whether masking `spans` in `text` leaves nothing a second detection by the built-in detectors could find.
 * `spans` must be every span detection found in `text`, none dropped for overlapping another: a dropped one
 * may be found once the span that beat it is masked.
 */
export function masksAreFinal(text: string, spans: readonly PiiSpan[]): boolean {
  if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === text.length) return isFinalAlone(text, spans[0]!);
  const lastDigit = lastDigitAt(text);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (!isSetApart(text, span)) return false;
    if (DIGIT_MASKED_TYPES.has(span.type) && masksDigitsOnly(text, span)) continue;
    // any other mask may change the words or distances a later number is judged by: final only without one
    if (lastDigit >= span.end || !isFinalAlone(text, span)) return false;
  }
  return true;
}

/** Where the last digit of `text` is, or -1. */
function lastDigitAt(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (isDigit(text.charCodeAt(i))) return i;
  return -1;
}

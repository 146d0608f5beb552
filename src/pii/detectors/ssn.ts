// US Social Security numbers. Separated forms (`123-45-6789`, `123 45 6789`) stand on their own;
// a bare nine-digit run counts only when the words before it say it is an SSN.
import type { PiiSpan } from '../types';
import { isDigit, precededBy } from '../context';
import { execInRuns, type NumberRuns } from '../number-runs';

const SEPARATED = /(?<![\w*\]-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;
const BARE = /(?<![\w*\]-])(\d{3})(\d{2})(\d{4})(?![\w]|-\d)/g;
const SSN_CONTEXT = /\b(?:ssn|ss#|ssns|social security|soc\.? ?sec|taxpayer id|tin)\b[^\n]{0,20}$/;
// SSN_CONTEXT's words anywhere in the text, either case: when none is there, no bare nine digits can be an SSN and
// their pattern need not run. (The window's lower-casing makes no other letters into these: of the characters
// whose lower case is ASCII, only `İ` is not an ASCII capital, and it lowers to `i` plus a combining dot.)
const SSN_WORD = /(?:ssn|ss#|ssns|social security|soc\.? ?sec|taxpayer id|tin)\b/i;
const CONTEXT_WINDOW = 48;
const DIGITS = 9;

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function isValidSsnParts(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function collect(text: string, runs: NumberRuns, pattern: RegExp, needsContext: boolean, spans: PiiSpan[]): void {
  pattern.lastIndex = 0;
  for (let m = execInRuns(pattern, text, runs, DIGITS, 0); m !== null; m = execInRuns(pattern, text, runs, DIGITS, 0)) {
    const area = m[1]!;
    const group = needsContext ? m[2]! : m[3]!;
    const serial = needsContext ? m[3]! : m[4]!;
    if (!isValidSsnParts(area, group, serial)) continue;
    // `1.123-45-6789` or `x123 45 6789`: part of a longer token
    if (m.index > 1 && text.charCodeAt(m.index - 1) === 46 && isDigit(text.charCodeAt(m.index - 2))) continue;
    if (needsContext && !precededBy(text, m.index, CONTEXT_WINDOW, SSN_CONTEXT)) continue;
    spans.push({ type: 'ssn', start: m.index, end: m.index + m[0].length });
  }
}

export function detectSsns(text: string, runs: NumberRuns, spans: PiiSpan[]): void {
  if (runs.maxDigits < DIGITS) return;
  collect(text, runs, SEPARATED, false, spans);
  if (SSN_WORD.test(text)) collect(text, runs, BARE, true, spans);
}

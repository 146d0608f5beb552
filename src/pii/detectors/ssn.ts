// US Social Security numbers. Separated forms (`123-45-6789`, `123 45 6789`) stand on their own;
// a bare nine-digit run counts only when the words before it say it is an SSN.
import type { PiiSpan } from '../types';
import { isDigit, precededBy } from '../context';

const SEPARATED = /(?<![\w*\]-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;
const BARE = /(?<![\w*\]-])(\d{3})(\d{2})(\d{4})(?![\w]|-\d)/g;
const SSN_CONTEXT = /\b(?:ssn|ss#|ssns|social security|soc\.? ?sec|taxpayer id|tin)\b[^\n]{0,20}$/;
const CONTEXT_WINDOW = 48;

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function isValidSsnParts(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function collect(text: string, pattern: RegExp, needsContext: boolean, spans: PiiSpan[]): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
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

export function detectSsns(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  collect(text, SEPARATED, false, spans);
  collect(text, BARE, true, spans);
  return spans;
}

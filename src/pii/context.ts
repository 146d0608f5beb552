// Small look-around helpers detectors use to judge a candidate by the characters and words beside it.
// Digit detectors also refuse to start right after `*` or `]`: that is the tail of a mask or marker, and
// starting there would let a second redaction pass find new PII in the first pass's output.
import { blankMarkers, mayHoldMarkers } from './markers';

/** True for ASCII letters, digits and `_`. */
export function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

// How far before a context window a marker may begin and still reach into it.
const MARKER_REACH = 96;

/** Whether the `window` characters before `start` (lower-cased, markers blanked) match `pattern`. A marker
 *  left by an earlier pass is not context, or redacting twice would find what the first pass did not. */
export function precededBy(text: string, start: number, window: number, pattern: RegExp): boolean {
  if (!mayHoldMarkers(text)) return pattern.test(text.slice(Math.max(0, start - window), start).toLowerCase());
  const before = blankMarkers(text.slice(Math.max(0, start - window - MARKER_REACH), start));
  return pattern.test(before.slice(-window).toLowerCase());
}

/** Whether a span starting at `start` is the host part of a URL (`scheme://host`, with optional userinfo). */
export function isUrlHost(text: string, start: number): boolean {
  let i = start;
  if (text.charCodeAt(i - 1) === 91 /* [ */) i--;
  if (text.startsWith('://', i - 3)) return true;
  if (text.charCodeAt(i - 1) !== 64 /* @ */) return false;
  // userinfo: walk back over non-space characters looking for the scheme separator
  for (let j = i - 2; j >= Math.max(0, i - 200); j--) {
    const code = text.charCodeAt(j);
    if (code <= 32 || code === 34 || code === 39) return false;
    if (code === 47 && text.startsWith('://', j - 2)) return true;
  }
  return false;
}

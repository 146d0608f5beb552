// One pass over a text that finds where the digit detectors could match, so each searches only there instead of
// scanning the whole text with its own pattern. A number run is a stretch of digits and the punctuation numbers
// are written with (space, `( ) . - /`, no-break space): every phone, SSN, card and IPv4 match lies inside one run
// (a phone may also take the `+` just before it) that holds at least four digits.

/**
 * Where the digit detectors may match in one text. A detector keeps one and `findNumberRuns` refills it for each
 * text, so scanning allocates nothing once its array has grown to fit.
 */
export interface NumberRuns {
  /** `start, end, digits, dots` of each run holding at least `MIN_RUN_DIGITS` digits, in text order. */
  runs: Int32Array;
  runCount: number;
  /** The most digits any one run holds. */
  maxDigits: number;
}

/** The fewest digits any digit detector's match holds (IPv4's four octets); shorter runs are not kept. */
export const MIN_RUN_DIGITS = 4;
/** Numbers per run in `NumberRuns.runs`. */
export const RUN_FIELDS = 4;

// Native search finds the fourth digit of each run worth keeping, so prose and short numbers ("qty 3", "at 10:30")
// are crossed without reading them one character at a time; only the runs kept are read here, to find their
// edges and count what they hold. (Strings reach the detectors in many internal forms, which can make every
// character read from JavaScript slow.)
const FOUR_DIGITS = /\d(?:[ ().\-/\u00a0]*\d){3}/g;
const DIGIT = /\d/;

// What each character is to a run, by a table lookup rather than a chain of comparisons.
const OUTSIDE = 0;
const DIGIT_CHAR = 1;
const DOT = 2;
/** Space, `(`, `)`, `-`, `/` and no-break space: what numbers are grouped and wrapped with, besides `.`. */
const PUNCTUATION = 3;
const RUN_CHARS = new Uint8Array(256);
for (let code = 48; code <= 57; code++) RUN_CHARS[code] = DIGIT_CHAR;
RUN_CHARS[46] = DOT;
for (const char of ' ()-/\u00a0') RUN_CHARS[char.charCodeAt(0)] = PUNCTUATION;

function runCharKind(code: number): number {
  return code < 256 ? RUN_CHARS[code]! : OUTSIDE;
}

/** Whether `code` is what a number run holds besides digits: space, `( ) . - /`, no-break space. */
export function isRunPunctuation(code: number): boolean {
  const kind = runCharKind(code);
  return kind === DOT || kind === PUNCTUATION;
}

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** What `\w` matches: ASCII letters, digits and `_`. */
function isAsciiWordCode(code: number): boolean {
  return isDigitCode(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

export function createNumberRuns(): NumberRuns {
  return { runs: new Int32Array(16 * RUN_FIELDS), runCount: 0, maxDigits: 0 };
}

function grown(array: Int32Array, needed: number): Int32Array {
  if (needed <= array.length) return array;
  const bigger = new Int32Array(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** Fills `into` with the number runs of `text`; false when it has no digit at all and no digit detector need look. */
export function findNumberRuns(text: string, into: NumberRuns): boolean {
  into.runCount = 0;
  into.maxDigits = 0;
  // read once: `length` on strings of many representations is a slow property load
  const length = text.length;
  let from = 0;
  FOUR_DIGITS.lastIndex = 0;
  while (FOUR_DIGITS.test(text)) {
    // just after the run's fourth digit: its edges lie on either side
    let start = FOUR_DIGITS.lastIndex;
    while (start > from && runCharKind(text.charCodeAt(start - 1)) !== OUTSIDE) start--;
    // Digits glued to a word (`run_4711`, `abc123`) open no match: every detector's pattern refuses to start
    // right after a letter, digit or `_`, so each of those digits is passed over.
    if (start > 0 && isDigitCode(text.charCodeAt(start)) && isAsciiWordCode(text.charCodeAt(start - 1))) {
      while (isDigitCode(text.charCodeAt(start))) start++;
    }
    let digits = 0;
    let dots = 0;
    let end = start;
    for (; end < length; end++) {
      const kind = runCharKind(text.charCodeAt(end));
      if (kind === OUTSIDE) break;
      if (kind === DIGIT_CHAR) digits++;
      else if (kind === DOT) dots++;
    }
    from = end;
    FOUR_DIGITS.lastIndex = end;
    if (digits < MIN_RUN_DIGITS) continue;
    const at = into.runCount * RUN_FIELDS;
    into.runs = grown(into.runs, at + RUN_FIELDS);
    into.runs[at] = start;
    into.runs[at + 1] = end;
    into.runs[at + 2] = digits;
    into.runs[at + 3] = dots;
    into.runCount++;
    if (digits > into.maxDigits) into.maxDigits = digits;
  }
  return into.runCount > 0 || DIGIT.test(text);
}

/** How many digits `text.slice(from, to)` holds. */
export function digitsBetween(text: string, from: number, to: number): number {
  let digits = 0;
  for (let i = from; i < to; i++) if (isDigitCode(text.charCodeAt(i))) digits++;
  return digits;
}

/** The index of the first run ending after `position`, or `runCount` (runs are disjoint and in order). */
function firstRunEndingAfter(runs: NumberRuns, position: number): number {
  let low = 0;
  let high = runs.runCount;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (runs.runs[middle * RUN_FIELDS + 1]! > position) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The next match of global `pattern` from its `lastIndex` that starts in a run holding at least `minDigits` digits
 * (or up to `lead` characters before one), or null: the same matches, in the same order, a scan of the whole text
 * finds there, because no match crosses a run's edge. Text between those runs is not searched; a match found
 * there anyway (the search runs on until it finds one) is one the caller would reject for its digit count.
 */
export function execInRuns(pattern: RegExp, text: string, runs: NumberRuns, minDigits: number, lead: number): RegExpExecArray | null {
  for (;;) {
    let run = firstRunEndingAfter(runs, pattern.lastIndex);
    while (run < runs.runCount && runs.runs[run * RUN_FIELDS + 2]! < minDigits) run++;
    if (run === runs.runCount) return null;
    const windowStart = runs.runs[run * RUN_FIELDS]! - lead;
    const runEnd = runs.runs[run * RUN_FIELDS + 1]!;
    if (pattern.lastIndex <= windowStart) {
      pattern.lastIndex = windowStart;
    } else if (digitsBetween(text, pattern.lastIndex, runEnd) < minDigits) {
      // what is left of this run after an earlier match is too short for another: do not let the search run on
      pattern.lastIndex = runEnd;
      continue;
    }
    const match = pattern.exec(text);
    if (match === null) return null;
    const home = firstRunEndingAfter(runs, match.index);
    if (home < runs.runCount && runs.runs[home * RUN_FIELDS + 2]! >= minDigits && match.index >= runs.runs[home * RUN_FIELDS]! - lead) {
      return match;
    }
  }
}

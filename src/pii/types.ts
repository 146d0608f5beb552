// The shapes every detector and redactor shares: a typed span over a string.
// Offsets are UTF-16 code-unit indexes, the same as String.prototype.slice.

/** A built-in detector name or a custom detector's name from the data policy. */
export type PiiType = string;

/** Where one piece of PII sits in a text: `text.slice(start, end)`. */
export interface PiiSpan {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
}

/** One detector: finds every span of its type in a text, in any order, possibly overlapping. */
export type DetectFn = (text: string) => PiiSpan[];

// Cheap necessary conditions for the digit-based detectors, so a text that cannot hold a match is skipped
// before any detector scans it. Each is one native regex test: a JavaScript loop over the characters costs
// more than the detectors it would spare.

/** A digit anywhere: every built-in detector but email needs one. */
const DIGIT = /\d/;
/** Nine digits in one run joined by single spaces or dashes: the fewest an SSN candidate holds. */
const GROUPED_9 = /\d(?:[ -]?\d){8}/;
/** Seven digits in one run of phone punctuation (space, `( ) . - /`, no-break space): the fewest a phone holds. */
const PHONE_RUN_7 = /\d(?:[ ().\-/\u00a0]*\d){6}/;

export function hasDigit(text: string): boolean {
  return DIGIT.test(text);
}

export function mayHoldSsn(text: string): boolean {
  return GROUPED_9.test(text);
}

export function mayHoldPhone(text: string): boolean {
  return PHONE_RUN_7.test(text);
}

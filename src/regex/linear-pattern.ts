// Regular expressions written by definition authors (custom PII detectors, `pattern` in JSON Schemas) run on RE2's
// linear-time engine, never on the backtracking one: `(a+)+$` against 40 characters would otherwise hold a worker
// thread for hours, stalling every tenant it serves. Pure JavaScript, so it runs in any process. Patterns RE2 does
// not support (backreferences, lookahead) are refused with the engine's reason.
import { RE2JS } from 're2js';

/** The flags an author may give, as RE2 understands them: `u` is implied (RE2 always matches code points). */
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

export type LinearPattern = RE2JS;

export type LinearPatternResult = { ok: true; pattern: LinearPattern } | { ok: false; reason: string };

/** Compiles an ECMAScript-style pattern for the linear-time engine, or says why it cannot run there. */
export function compileLinearPattern(source: string, flags = ''): LinearPatternResult {
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) return { ok: false, reason: `the flag ${JSON.stringify(flag)} is not supported (only i, m, s, u)` };
    bits |= bit;
  }
  try {
    return { ok: true, pattern: RE2JS.compile(RE2JS.translateRegExp(source), bits) };
  } catch (error) {
    // RE2's messages name the construct at fault (`invalid or unsupported Perl syntax: (?=`), never input text.
    const detail = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'does not compile';
    return { ok: false, reason: `not a pattern the linear-time (RE2) engine accepts: ${detail}` };
  }
}

/** Every non-empty match of `pattern` in `text`, as [start, end) offsets in UTF-16 code units. */
export function findLinearMatches(pattern: LinearPattern, text: string): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const matcher = pattern.matcher(text);
  while (matcher.find()) {
    const start = matcher.start();
    const end = matcher.end();
    if (end > start) found.push([start, end]);
  }
  return found;
}

/** An ajv `code.regExp` engine: JSON Schema `pattern` keywords in author-written schemas run in linear time too. */
export const linearRegExpEngine = Object.assign(
  (source: string, flags: string): { test: (text: string) => boolean } => {
    const compiled = compileLinearPattern(source, flags);
    if (!compiled.ok) throw new Error(`pattern ${JSON.stringify(source)}: ${compiled.reason}`);
    const { pattern } = compiled;
    return { test: (text: string) => pattern.test(text) };
  },
  { code: 'require("re2js").RE2JS' },
);

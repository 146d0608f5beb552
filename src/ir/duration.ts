// Durations as authors write them in the IR (`500ms`, `30s`, `5m`, `48h`, `2d`, or compounds like `1h30m`).
// Workflow-safe: pure string arithmetic.
import { StewardError } from '../errors';

export const DURATION_PATTERN = /^(?:\d{1,9}(?:ms|s|m|h|d))+$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const COMPONENT = /(\d+)(ms|s|m|h|d)/g;

/** Parses a duration into milliseconds; throws a `StewardError` (`DEFINITION_INVALID`) when the text is not one. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !DURATION_PATTERN.test(text)) {
    throw new StewardError('DEFINITION_INVALID', 'not a duration: use a number and a unit (ms, s, m, h, d), e.g. 30s or 1h30m');
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(COMPONENT)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  if (!Number.isSafeInteger(total)) throw new StewardError('DEFINITION_INVALID', 'duration is too long');
  return total;
}

/** True when `text` is a duration `parseDuration` accepts. */
export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

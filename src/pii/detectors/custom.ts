// Detectors declared in a data policy: a name, an ECMAScript pattern and an optional checksum on the match. The
// pattern runs on the linear-time engine: an author's regex must not be able to stall the worker it runs on.
import { compileLinearPattern, findLinearMatches } from '../../regex/linear-pattern';
import type { CustomDetector } from '../policy';
import type { DetectFn, PiiSpan } from '../types';
import { PiiError } from '../errors';
import { isLuhnValid, isMod97Valid } from '../checksums';

const CHECKSUMS: Record<NonNullable<CustomDetector['checksum']>, (value: string) => boolean> = {
  luhn: isLuhnValid,
  mod97: isMod97Valid,
};

/** Compiles a policy's custom detector; a pattern the linear-time engine refuses is a coded error naming the detector. */
export function createCustomDetector(detector: CustomDetector): DetectFn {
  const compiled = compileLinearPattern(detector.pattern, detector.flags);
  if (!compiled.ok) {
    throw new PiiError('INVALID_CUSTOM_DETECTOR', `custom_detectors.${detector.name}.pattern: ${compiled.reason}`);
  }
  const { pattern } = compiled;
  const checksum = detector.checksum === undefined ? undefined : CHECKSUMS[detector.checksum];
  return (text) => {
    const spans: PiiSpan[] = [];
    for (const [start, end] of findLinearMatches(pattern, text)) {
      if (checksum !== undefined && !checksum(text.slice(start, end))) continue;
      spans.push({ type: detector.name, start, end });
    }
    return spans;
  };
}

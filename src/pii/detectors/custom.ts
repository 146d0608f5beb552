// Detectors declared in a data policy: a name, an ECMAScript pattern and an optional checksum on the match.
import type { CustomDetector } from '../policy';
import type { DetectFn, PiiSpan } from '../types';
import { PiiError } from '../errors';
import { isLuhnValid, isMod97Valid } from '../checksums';

const CHECKSUMS: Record<NonNullable<CustomDetector['checksum']>, (value: string) => boolean> = {
  luhn: isLuhnValid,
  mod97: isMod97Valid,
};

/** Compiles a policy's custom detector; a pattern that does not compile is a coded error naming the detector. */
export function createCustomDetector(detector: CustomDetector): DetectFn {
  let pattern: RegExp;
  try {
    pattern = new RegExp(detector.pattern, `${(detector.flags ?? '').replace(/g/g, '')}g`);
  } catch (cause) {
    throw new PiiError('INVALID_CUSTOM_DETECTOR', `custom_detectors.${detector.name}.pattern: not a valid regular expression`, { cause });
  }
  const checksum = detector.checksum === undefined ? undefined : CHECKSUMS[detector.checksum];
  return (text) => {
    const spans: PiiSpan[] = [];
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0].length === 0) {
        // an empty match would loop forever; step over it
        pattern.lastIndex++;
        continue;
      }
      if (checksum !== undefined && !checksum(m[0])) continue;
      spans.push({ type: detector.name, start: m.index, end: m.index + m[0].length });
    }
    return spans;
  };
}

// The text the injection rules read: invisible characters dropped, compatibility forms (full-width letters, ligatures)
// and common Cyrillic/Greek look-alikes folded to ASCII, with a map back to positions in the original. Pure.

export interface Skeleton {
  text: string;
  /** For each UTF-16 unit of `text`, the [start, end) of the original code point it came from. */
  origins: Array<readonly [number, number]>;
  /** Runs of invisible characters in the original, as [start, end). */
  invisibleRuns: Array<readonly [number, number]>;
  /** Text smuggled in Unicode tag characters (U+E0020–U+E007E), decoded to ASCII, with the original span. */
  smuggled: Array<{ text: string; start: number; end: number }>;
}

const CONFUSABLES: Record<string, string> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ɡ: 'g', ο: 'o', α: 'a', ε: 'e',
  ι: 'i', κ: 'k', ν: 'v', ρ: 'p', τ: 't', υ: 'u', χ: 'x', А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P',
  С: 'C', Т: 'T', Х: 'X', Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T',
  Υ: 'Y', Χ: 'X',
};

// Zero-width, bidi-control and filler characters that have no business in text a model reads, as [first, last].
const ALWAYS_INVISIBLE: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x061c, 0x061c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180e, 0x180e],
  [0x200b, 0x200c], [0x200e, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x2066, 0x206f], [0x3164, 0x3164],
  [0xfe00, 0xfe0e], [0xffa0, 0xffa0],
];
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const WAVING_BLACK_FLAG = 0x1f3f4;

function isTag(codePoint: number): boolean {
  return codePoint >= 0xe0000 && codePoint <= 0xe007f;
}

/** Characters that are legitimate in context: emoji joiners and presentation selectors, a leading BOM, flag tags. */
function isInvisible(points: number[], index: number): boolean {
  const point = points[index]!;
  const previous = index > 0 ? String.fromCodePoint(points[index - 1]!) : '';
  if (ALWAYS_INVISIBLE.some(([first, last]) => point >= first && point <= last)) return true;
  if (point === 0x200d) return !(PICTOGRAPHIC.test(previous) && PICTOGRAPHIC.test(String.fromCodePoint(points[index + 1] ?? 0x20)));
  if (point === 0xfe0f) return !(PICTOGRAPHIC.test(previous) || /[0-9#*]/.test(previous));
  if (point === 0xfeff) return index !== 0;
  if (isTag(point)) {
    let start = index;
    while (start > 0 && isTag(points[start - 1]!)) start -= 1;
    return !(start > 0 && points[start - 1] === WAVING_BLACK_FLAG && index - start < 7);
  }
  return false;
}

export function buildSkeleton(original: string): Skeleton {
  const points = Array.from(original, (char) => char.codePointAt(0)!);
  const skeleton: Skeleton = { text: '', origins: [], invisibleRuns: [], smuggled: [] };
  let offset = 0;
  points.forEach((point, index) => {
    const width = point > 0xffff ? 2 : 1;
    const start = offset;
    offset += width;
    if (isInvisible(points, index)) {
      const last = skeleton.invisibleRuns[skeleton.invisibleRuns.length - 1];
      if (last && last[1] === start) skeleton.invisibleRuns[skeleton.invisibleRuns.length - 1] = [last[0], offset];
      else skeleton.invisibleRuns.push([start, offset]);
      if (point >= 0xe0020 && point <= 0xe007e) {
        const smuggled = skeleton.smuggled[skeleton.smuggled.length - 1];
        const char = String.fromCharCode(point - 0xe0000);
        if (smuggled && smuggled.end === start) {
          smuggled.text += char;
          smuggled.end = offset;
        } else skeleton.smuggled.push({ text: char, start, end: offset });
      }
      return;
    }
    const char = String.fromCodePoint(point);
    const folded = CONFUSABLES[char] ?? char.normalize('NFKC');
    for (let unit = 0; unit < folded.length; unit += 1) skeleton.origins.push([start, offset]);
    skeleton.text += folded;
  });
  return skeleton;
}

/** Maps a [start, end) span of the skeleton back to the original text. */
export function toOriginalSpan(skeleton: Skeleton, start: number, end: number): [number, number] {
  return [skeleton.origins[start]![0], skeleton.origins[Math.max(start, end - 1)]![1]];
}

// Reads JSON text that was cut short (a tool result over the size the model is given): the longest prefix that ends
// a complete value, with its open arrays and objects closed. Masking needs the structure, so that pii_fields apply
// to a long result as they do to a short one. Pure.

interface SafePoint {
  /** Where the prefix ends. */
  end: number;
  /** What closes the containers open there, innermost first. */
  closers: string;
}

const SCALAR_END = /[\s,:\]}]/;

/** The value of the longest complete prefix of `text`; undefined when that is no JSON array or object. */
export function parseCutJson(text: string): { value: unknown } | undefined {
  const open: string[] = [];
  let safe: SafePoint | undefined;
  const markSafe = (end: number) => {
    safe = { end, closers: [...open].reverse().join('') };
  };
  let inString = false;
  let escaped = false;
  let stringIsKey = false;
  let expectKey = false;
  let inScalar = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') {
        inString = false;
        if (!stringIsKey) markSafe(index + 1);
      }
      continue;
    }
    if (inScalar) {
      // A number or literal is complete only once something follows it: `12` may be the start of `1234`.
      if (!SCALAR_END.test(char)) continue;
      inScalar = false;
      markSafe(index);
    }
    if (safe !== undefined && open.length === 0 && !/\s/.test(char)) return undefined; // text after a whole document
    if (char === '{' || char === '[') {
      open.push(char === '{' ? '}' : ']');
      expectKey = char === '{';
      markSafe(index + 1);
    } else if (char === '}' || char === ']') {
      open.pop();
      expectKey = false;
      markSafe(index + 1);
    } else if (char === '"') {
      inString = true;
      stringIsKey = expectKey && open[open.length - 1] === '}';
    } else if (char === ':') expectKey = false;
    else if (char === ',') expectKey = open[open.length - 1] === '}';
    else if (!/\s/.test(char)) inScalar = true;
  }
  if (safe === undefined) return undefined;
  try {
    return { value: JSON.parse(text.slice(0, safe.end) + safe.closers) as unknown };
  } catch {
    return undefined;
  }
}

// Splits text into literal parts and `{{ expr }}` parts. Workflow-safe.
// The scanner skips CEL string literals and counts braces, so `{{ {'a': {'b': 1}} }}` holds one whole expression.
import { ExpressionError } from './expression-error';

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; source: string };

// Returns the index of the `}}` that closes the template opened just before `from`, or -1.
function findTemplateEnd(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let index = from; index < text.length; index += 1) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      if (depth > 0) depth -= 1;
      else if (text[index + 1] === '}') return index;
    }
  }
  return -1;
}

/** Splits `text` into parts; throws an `ExpressionError` (`template`) for an unclosed or empty `{{ }}`. */
export function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf('{{', cursor);
    if (open < 0) break;
    const close = findTemplateEnd(text, open + 2);
    if (close < 0) throw new ExpressionError('template', `a {{ at offset ${open} is never closed with }}`, text);
    const source = text.slice(open + 2, close).trim();
    if (source === '') throw new ExpressionError('template', `the {{ }} at offset ${open} is empty`, text);
    if (open > cursor) parts.push({ kind: 'text', text: text.slice(cursor, open) });
    parts.push({ kind: 'expression', source });
    cursor = close + 2;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return parts;
}

/** The CEL sources inside the `{{ }}` of `text`, in order. */
export function templateExpressions(text: string): string[] {
  return splitTemplate(text).flatMap((part) => (part.kind === 'expression' ? [part.source] : []));
}


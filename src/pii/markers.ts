// The text forms hash and tokenize leave behind. Detection skips them so redacting twice changes nothing.
import type { PiiSpan } from './types';

const MARKER = /\[[a-z][a-z0-9_]*:hmac:[0-9a-f]{16}\]|\[pii:[a-z][a-z0-9_]*:tok_[A-Za-z0-9_-]+\]/g;
const WHOLE_MARKER = new RegExp(`^(?:${MARKER.source})$`);

export function formatHashMarker(type: string, hex16: string): string {
  return `[${type}:hmac:${hex16}]`;
}

export function formatTokenMarker(type: string, id: string): string {
  return `[pii:${type}:tok_${id}]`;
}

/** Whether `value` is exactly one hash or token marker. */
export function isMarker(value: string): boolean {
  return WHOLE_MARKER.test(value);
}

/** Whether `text` holds what every marker does: `[` (rare in text, and the fastest to search for) and its kind. */
function holdsMarkerParts(text: string): boolean {
  return text.indexOf('[') !== -1 && (text.indexOf(':hmac:') !== -1 || text.indexOf(':tok_') !== -1);
}

// The text last asked about, and whether it holds a marker: detectors ask again for each candidate of one text.
let lastText = '';
let lastHoldsMarkers = false;

/** Whether `text` may hold a marker; cheap when asked again about the same text. */
export function mayHoldMarkers(text: string): boolean {
  if (text !== lastText) {
    lastText = text;
    lastHoldsMarkers = holdsMarkerParts(text);
  }
  return lastHoldsMarkers;
}

/** `text` with each marker blanked to one space: words inside a marker (`[credit_card:…]`) are not context. */
export function blankMarkers(text: string): string {
  if (!holdsMarkerParts(text)) return text;
  return text.replace(MARKER, ' ');
}

/** Spans of every marker in `text`; cheap when there are none. */
export function findMarkers(text: string): PiiSpan[] {
  if (!mayHoldMarkers(text)) return [];
  const spans: PiiSpan[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m !== null; m = MARKER.exec(text)) {
    spans.push({ type: 'marker', start: m.index, end: m.index + m[0].length });
  }
  return spans;
}

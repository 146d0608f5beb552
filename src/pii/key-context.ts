// A JSON key is context for its value: `{"phone": 4155550123}` says what "phone: 4155550123" says in prose, and
// `{"ssn": "078051120"}` what "ssn: 078051120" does. Values under a key that names a phone, an SSN or a card are
// judged as if those words stood before them; the detectors still validate the value, so only the context changes.
import type { PiiDetector } from './detect';
import type { PiiSpan } from './types';

/** The words written before a value whose key names a kind of PII, in the form the detectors read as context. */
export type KeyContext = 'phone: ' | 'ssn: ' | 'card number: ';

// Keys are matched on their words, lower-cased, whatever joins them: `homePhone`, `home_phone`, `Home-Phone`.
// (`cell` alone is left out: spreadsheet rows have cells; `cell_phone` and `cellNumber` count.)
const PHONE_KEY = /\b(?:[a-z]*phones?|tel|tels|mobile|mobiles|fax|msisdn|whatsapp|(?:tel|mobile|fax|cell) ?(?:no|nr|num|number))\b/;
const SSN_KEY = /\b(?:ssns?|social ?security|soc ?sec|tin|taxpayer id)\b/;
const CARD_KEY = /\b(?:cards?|card ?(?:no|nr|num|number)|credit ?card|debit ?card|cc|cc ?(?:no|num|number)|pan)\b/;
// A word that makes the key name something about the number rather than the number: `phone_verified`, `card_id`.
const NOT_THE_VALUE =
  /\b(?:id|ids|type|types|kind|count|verified|status|country|code|prefix|ext|extension|hash|hashed|token|consent|enabled|format|masked|mask|last4|length|brand|expiry|exp|holder|name|label|network|provider|carrier)\b/;
// Only identifier-like keys carry context: such a key holds no PII itself, so it reads the same before and after
// its object's keys are redacted or tokenized.
const IDENTIFIER_KEY = /^[A-Za-z][A-Za-z _.-]{0,63}$/;

const MAX_REMEMBERED_KEYS = 4096;
const contexts = new Map<string, KeyContext | null>();

/** The key's words, lower-cased and joined by single spaces: `homePhoneNumber` → `home phone number`. */
function wordsOf(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word !== '')
    .join(' ');
}

function judgeKey(key: string): KeyContext | undefined {
  if (!IDENTIFIER_KEY.test(key)) return undefined;
  const words = wordsOf(key);
  if (NOT_THE_VALUE.test(words)) return undefined;
  if (SSN_KEY.test(words)) return 'ssn: ';
  if (CARD_KEY.test(words)) return 'card number: ';
  if (PHONE_KEY.test(words)) return 'phone: ';
  return undefined;
}

/** The context a JSON key gives its value, if it names a phone, an SSN or a card number. */
export function contextOfKey(key: string): KeyContext | undefined {
  let context = contexts.get(key);
  if (context === undefined) {
    context = judgeKey(key) ?? null;
    // documents keyed by data (emails, ids) stop filling the memory and are judged each time
    if (contexts.size < MAX_REMEMBERED_KEYS) contexts.set(key, context);
  }
  return context ?? undefined;
}

/** `detector`'s spans in `text`, judged as if `context` stood before it; spans reaching into the context are dropped. */
export function detectInContext(detector: PiiDetector, text: string, context: KeyContext | undefined): PiiSpan[] {
  if (context === undefined) return detector.detect(text);
  const shift = context.length;
  const spans: PiiSpan[] = [];
  for (const span of detector.detect(context + text)) {
    if (span.start >= shift) spans.push({ type: span.type, start: span.start - shift, end: span.end - shift });
  }
  return spans;
}

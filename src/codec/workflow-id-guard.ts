// Workflow ids and search attributes bypass the payload codec: Temporal stores and shows them in clear. Steward's
// search attributes carry only fixed values the interpreter sets (a status word and the definition's slug id,
// src/temporal/search-attribute-keys.ts), and child workflow ids are the parent's id plus node ids and counts, so
// no run data reaches either. The one way in is a workflow id chosen by the caller: the client checks it before the
// start, and the run checks it again as it begins (a raw `temporal workflow start` never meets the client).
import { StewardError } from '../errors';
import { detectPii } from '../pii/detect';
import type { PiiType } from '../pii/types';
import type { Scrubber } from '../secrets/scrubber';

// An id is read as it may be written: percent-encoded once or more (`jane%40example.com`, `%2540`), in full-width
// or other compatibility forms (`ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`).
const MAX_DECODE_ROUNDS = 4;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
// Random (version 4) UUIDs are what Temporal and the client generate when no id is given: opaque by construction,
// and their hex groups can be all digits that read like a phone number. An id may hold them freely.
const RANDOM_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/gi;
// What ids join words with; the pieces between them are judged alone as well, so a number glued to a word the
// detectors read as a veto (`order-4111111111111111`) is still found.
const PIECE_SEPARATORS = /[\s\-_/:|=,;~]+/;

/** `text` with every percent-encoded UTF-8 sequence decoded; a malformed sequence is left as written. */
function percentDecode(text: string): string {
  return text.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** The id as a reader would see it: percent-decoded until it stops changing, then NFKC-folded. */
export function normalizeWorkflowId(id: string): string {
  let decoded = id;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = percentDecode(decoded);
    if (next === decoded) break;
    decoded = next;
  }
  return decoded.normalize('NFKC').replace(RANDOM_UUID, ' ');
}

/** Ids join words with separators the detectors (tuned for prose) read as part of a token: `ssn-123-45-6789`. */
function separatedView(id: string): string {
  return id.replace(/[_/:|=,;]/g, ' ').replace(/(?<=\D)-|-(?=\D)/g, ' ');
}

// Ids are full of counters and dates grouped like short local numbers (`exp-103-36673`): a phone found in an id
// counts only with the digits of a full national or international number. A refused id fails the run.
const MIN_PHONE_DIGITS_IN_ID = 9;

function countDigits(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits++;
  return digits;
}

function piiTypesIn(view: string): PiiType[] {
  return detectPii(view)
    .filter((span) => span.type !== 'phone' || countDigits(view.slice(span.start, span.end)) >= MIN_PHONE_DIGITS_IN_ID)
    .map((span) => span.type);
}

/** The kinds of PII a workflow id holds, however it is encoded; none for an id safe to give Temporal. */
export function findPiiInWorkflowId(workflowId: string): PiiType[] {
  const id = normalizeWorkflowId(workflowId);
  const views = [id, separatedView(id), ...id.split(PIECE_SEPARATORS).filter((piece) => piece.length >= 3)];
  return [...new Set(views.flatMap(piiTypesIn))].sort();
}

/**
 * Refuses a workflow id that holds what looks like PII, or a secret value the process has resolved (the scrubber
 * knows them). The message names what was found, never the id.
 */
export function assertWorkflowIdIsSafe(workflowId: string, options: { scrubber?: Scrubber } = {}): void {
  const found = findPiiInWorkflowId(workflowId);
  if (found.length > 0) {
    throw new StewardError(
      'INPUT_INVALID',
      `workflowId: holds what looks like PII (${found.join(', ')}); Temporal stores workflow ids unencrypted, so use an opaque id`,
    );
  }
  // Scrubbing reports the hit as a security event, which a secret in an id is.
  if (options.scrubber && options.scrubber.scrubText(workflowId) !== workflowId) {
    throw new StewardError('INPUT_INVALID', 'workflowId: holds a secret value; Temporal stores workflow ids unencrypted, so use an opaque id');
  }
}

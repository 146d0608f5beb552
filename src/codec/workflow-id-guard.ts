// Workflow ids and search attributes bypass the payload codec: Temporal stores and shows them in clear. Steward's
// search attributes carry only fixed values the interpreter sets (a status word and the definition's slug id,
// src/temporal/search-attribute-keys.ts), and child workflow ids are the parent's id plus node ids and counts, so
// no run data reaches either. The one way in is a workflow id chosen by the caller: it is checked here.
import { StewardError } from '../errors';
import { detectPii } from '../pii/detect';
import type { Scrubber } from '../secrets/scrubber';

/** Ids join words with separators the detectors (tuned for prose) read as part of a token: `ssn-123-45-6789`. */
function separatedView(id: string): string {
  return id.replace(/[_/:|=,;]/g, ' ').replace(/(?<=\D)-|-(?=\D)/g, ' ');
}

/**
 * Refuses a workflow id that holds what looks like PII, or a secret value the process has resolved (the scrubber
 * knows them). The message names what was found, never the id.
 */
export function assertWorkflowIdIsSafe(workflowId: string, options: { scrubber?: Scrubber } = {}): void {
  const found = new Set([...detectPii(workflowId), ...detectPii(separatedView(workflowId))].map((span) => span.type));
  if (found.size > 0) {
    throw new StewardError(
      'INPUT_INVALID',
      `workflowId: holds what looks like PII (${[...found].sort().join(', ')}); Temporal stores workflow ids unencrypted, so use an opaque id`,
    );
  }
  // Scrubbing reports the hit as a security event, which a secret in an id is.
  if (options.scrubber && options.scrubber.scrubText(workflowId) !== workflowId) {
    throw new StewardError('INPUT_INVALID', 'workflowId: holds a secret value; Temporal stores workflow ids unencrypted, so use an opaque id');
  }
}

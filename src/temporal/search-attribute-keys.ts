// The search attributes of Steward runs: identifiers and states only, never input data or PII, because Temporal
// does not encrypt search attributes. Pure, so the interpreter can set them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** running | waiting | awaiting_approval | completed | failed | cancelled (set by the run before it closes) */
export const STEWARD_STATUS = defineSearchAttributeKey('StewardStatus', SearchAttributeType.KEYWORD);
/** The definition id the run executes. */
export const STEWARD_WORKFLOW = defineSearchAttributeKey('StewardWorkflow', SearchAttributeType.KEYWORD);

// Marks the payloads of a failure (its message and stack, its details), so the codec knows which payloads it may
// redact rather than refuse when it cannot tokenize or encrypt them. Pure, so the failure converter can use it
// inside the workflow sandbox.
import type { Payload, ProtoFailure } from '@temporalio/common';

/** Metadata key set on every payload that belongs to a failure; its value is `1`. */
export const FAILURE_METADATA_KEY = 'steward-failure';
const MARK = new Uint8Array([0x31]);

export function markFailurePayloads(failure: ProtoFailure): ProtoFailure {
  for (let current: ProtoFailure | null | undefined = failure; current; current = current.cause) {
    if (current.encodedAttributes) current.encodedAttributes = mark(current.encodedAttributes);
    const details = current.applicationFailureInfo?.details;
    if (details?.payloads) details.payloads = details.payloads.map(mark);
  }
  return failure;
}

export function isFailurePayload(payload: Payload): boolean {
  return payload.metadata?.[FAILURE_METADATA_KEY] !== undefined && payload.metadata[FAILURE_METADATA_KEY] !== null;
}

function mark(payload: Payload): Payload {
  return { ...payload, metadata: { ...payload.metadata, [FAILURE_METADATA_KEY]: MARK } };
}

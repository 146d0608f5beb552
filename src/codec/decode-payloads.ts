// Decodes what a fetched history holds, through a codec chain, as the SDK's client and worker do on their own:
// payload lists in one call per list, codecs last to first, and every payload a failure (and its causes) carries.
import type { Payload, PayloadCodec, ProtoFailure } from '@temporalio/common';

type PayloadList = { payloads?: Payload[] | null } | null | undefined;

/** Runs the codecs' decode over `payloads`, the last codec first (they encode first to last). */
export async function decodePayloads(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (let at = codecs.length - 1; at >= 0; at--) decoded = await codecs[at]!.decode(decoded);
  return decoded;
}

/** A copy of `failure` with its message attributes, details and heartbeat details decoded, down its causes. */
export async function decodeFailurePayloads(codecs: readonly PayloadCodec[], failure: ProtoFailure): Promise<ProtoFailure> {
  const list = async (payloads: PayloadList) => (payloads ? { payloads: await decodePayloads(codecs, payloads.payloads ?? []) } : undefined);
  const { applicationFailureInfo, timeoutFailureInfo, canceledFailureInfo, resetWorkflowFailureInfo } = failure;
  return {
    ...failure,
    encodedAttributes: failure.encodedAttributes ? (await decodePayloads(codecs, [failure.encodedAttributes]))[0] : undefined,
    cause: failure.cause ? await decodeFailurePayloads(codecs, failure.cause) : null,
    applicationFailureInfo: applicationFailureInfo ? { ...applicationFailureInfo, details: await list(applicationFailureInfo.details) } : undefined,
    timeoutFailureInfo: timeoutFailureInfo ? { ...timeoutFailureInfo, lastHeartbeatDetails: await list(timeoutFailureInfo.lastHeartbeatDetails) } : undefined,
    canceledFailureInfo: canceledFailureInfo ? { ...canceledFailureInfo, details: await list(canceledFailureInfo.details) } : undefined,
    resetWorkflowFailureInfo: resetWorkflowFailureInfo ? { ...resetWorkflowFailureInfo, lastHeartbeatDetails: await list(resetWorkflowFailureInfo.lastHeartbeatDetails) } : undefined,
  };
}

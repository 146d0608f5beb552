// Reads a run's Temporal history for the run views: its events in order, and payloads and failures decoded through
// the tenant's data converter in the caller's view (PII masked unless they may read it).
import type { WorkflowHandle } from '@temporalio/client';
import { fromPayloadsAtIndex, type LoadedDataConverter, type ProtoFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { decodeFailurePayloads, decodePayloads } from '../codec/decode-payloads';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function readHistory(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** A protobuf timestamp in epoch milliseconds (0 when absent). */
export function timestampMs(timestamp: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!timestamp) return 0;
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

export const eventTime = (event: HistoryEvent): Date => new Date(timestampMs(event.eventTime));
export const eventId = (event: HistoryEvent): number => Number(event.eventId ?? 0);

/** The first argument of a payload list (a run's or activity's input, a result), decoded; undefined when there is none. */
export async function decodeFirst(converter: LoadedDataConverter, payloads: { payloads?: temporal.api.common.v1.IPayload[] | null } | null | undefined): Promise<unknown> {
  if (!payloads?.payloads?.length) return undefined;
  return fromPayloadsAtIndex(converter.payloadConverter, 0, await decodePayloads(converter.payloadCodecs, payloads.payloads));
}

export async function decodeFailure(converter: LoadedDataConverter, failure: ProtoFailure | null | undefined): Promise<Error | undefined> {
  if (!failure) return undefined;
  return converter.failureConverter.failureToError(await decodeFailurePayloads(converter.payloadCodecs, failure), converter.payloadConverter);
}

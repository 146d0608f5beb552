// Reads a run's Temporal history for the run views: its events in order, and payloads and failures decoded through
// the tenant's data converter in the caller's view (PII masked unless they may read it).
import type { WorkflowHandle } from '@temporalio/client';
import type { LoadedDataConverter, ProtoFailure } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';

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
  return decodeFromPayloadsAtIndex(converter, 0, payloads.payloads);
}

export function decodeFailure(converter: LoadedDataConverter, failure: ProtoFailure | null | undefined): Promise<Error | undefined> {
  return decodeOptionalFailureToOptionalError(converter, failure);
}

// Reads the definitions a stored history ran: the prepareRun activity's result (a local-activity marker since the
// lean start), or, in a run that continued as new, the prepared definition carried in its start input.
import type { Definition } from '../../src/ir/schema';

interface JsonPayload {
  data?: string;
}

interface JsonEvent {
  eventId?: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  activityTaskCompletedEventAttributes?: { scheduledEventId?: string; result?: { payloads?: JsonPayload[] } };
  workflowExecutionStartedEventAttributes?: { input?: { payloads?: JsonPayload[] } };
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: JsonPayload[] }> };
}

export function definitionsIn(history: { events: unknown[] }): Definition[] {
  const events = history.events as JsonEvent[];
  const prepareRunIds = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareRun').map((e) => e.eventId),
  );
  const prepared = events
    .map((e) => e.activityTaskCompletedEventAttributes)
    .filter((completed) => completed !== undefined && prepareRunIds.has(completed.scheduledEventId))
    .map((completed) => decode(completed!.result?.payloads?.[0]) as { definition: Definition });
  const local = events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((marker) => marker?.markerName === 'core_local_activity')
    .filter((marker) => (decode(marker!.details?.data?.payloads?.[0]) as { activity_type?: string } | undefined)?.activity_type === 'prepareRun')
    .map((marker) => decode(marker!.details?.result?.payloads?.[0]) as { definition: Definition });
  const carried = events
    .map((e) => decode(e.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]) as { resume?: { prepared: { definition: Definition } } } | undefined)
    .flatMap((args) => (args?.resume ? [args.resume.prepared] : []));
  return [...prepared, ...local, ...carried].map((run) => run.definition);
}

function decode(payload: JsonPayload | undefined): unknown {
  return payload?.data === undefined ? undefined : JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
}

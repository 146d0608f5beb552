// The patch ids a stored history recorded (its `core_patch` markers): the runs whose replay holds a patched()
// branch to what it did when the run was recorded.
interface JsonEvent {
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> };
}

export function recordedPatches(history: { events: unknown[] }): string[] {
  return (history.events as JsonEvent[])
    .map((event) => event.markerRecordedEventAttributes)
    .filter((marker) => marker?.markerName === 'core_patch')
    .flatMap((marker) => marker!.details?.['patch-data']?.payloads ?? [])
    .map((payload) => (JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8')) as { id?: unknown }).id)
    .filter((id): id is string => typeof id === 'string');
}

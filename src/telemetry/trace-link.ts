// Where a trace is seen: Jaeger's UI shows one at /trace/<trace id>.
export function traceLink(uiUrl: string, traceId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/trace/${traceId}`;
}

// Turns every detector's spans into one ordered, non-overlapping list: within each cluster of overlapping
// spans the longest wins, ties go to the more specific type, then to the earlier start.
import type { PiiSpan } from './types';

// Checksummed and structurally strict types first; phone, whose shapes overlap most others, last.
const SPECIFICITY: Record<string, number> = {
  iban: 0,
  credit_card: 1,
  ssn: 2,
  email: 3,
  ip_address: 4,
  phone: 6,
};
// Policy-declared detectors rank after the strict built-ins and before phone.
const CUSTOM_SPECIFICITY = 5;

function rank(span: PiiSpan): number {
  return SPECIFICITY[span.type] ?? CUSTOM_SPECIFICITY;
}

function compareForKeeping(a: PiiSpan, b: PiiSpan): number {
  return b.end - b.start - (a.end - a.start) || rank(a) - rank(b) || a.start - b.start || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

function resolveCluster(cluster: PiiSpan[], out: PiiSpan[]): void {
  if (cluster.length === 1) {
    out.push(cluster[0]!);
    return;
  }
  const kept: PiiSpan[] = [];
  for (const span of [...cluster].sort(compareForKeeping)) {
    if (kept.every((k) => span.end <= k.start || span.start >= k.end)) kept.push(span);
  }
  out.push(...kept.sort((a, b) => a.start - b.start));
}

export function resolveOverlaps(spans: readonly PiiSpan[]): PiiSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiSpan[] = [];
  let cluster: PiiSpan[] = [];
  let clusterEnd = -1;
  for (const span of sorted) {
    if (span.start >= clusterEnd && cluster.length > 0) {
      resolveCluster(cluster, out);
      cluster = [];
    }
    cluster.push(span);
    clusterEnd = Math.max(clusterEnd, span.end);
  }
  if (cluster.length > 0) resolveCluster(cluster, out);
  return out;
}

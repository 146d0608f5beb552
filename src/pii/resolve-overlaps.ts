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
  for (const span of cluster.sort(compareForKeeping)) {
    if (kept.every((k) => span.end <= k.start || span.start >= k.end)) kept.push(span);
  }
  out.push(...kept.sort((a, b) => a.start - b.start));
}

function byPosition(a: PiiSpan, b: PiiSpan): number {
  return a.start - b.start || b.end - a.end;
}

/** Whether each span of `sorted` ends at or before the next one starts. */
function isDisjoint(sorted: readonly PiiSpan[]): boolean {
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) return false;
  return true;
}

// A text holds a handful of spans: below this many, insertion sort beats the built-in one and its scratch copy.
const INSERTION_SORT_LIMIT = 16;

function isNonEmpty(span: PiiSpan): boolean {
  return span.end > span.start;
}

/** A copy of the non-empty spans ordered by start, longest first; stable, like `Array.prototype.sort`. */
function sortedByPosition(spans: readonly PiiSpan[]): PiiSpan[] {
  const sorted = spans.every(isNonEmpty) ? spans.slice() : spans.filter(isNonEmpty);
  if (sorted.length > INSERTION_SORT_LIMIT) return sorted.sort(byPosition);
  for (let i = 1; i < sorted.length; i++) {
    const span = sorted[i]!;
    let at = i;
    for (; at > 0 && byPosition(sorted[at - 1]!, span) > 0; at--) sorted[at] = sorted[at - 1]!;
    sorted[at] = span;
  }
  return sorted;
}

export function resolveOverlaps(spans: readonly PiiSpan[]): PiiSpan[] {
  const sorted = sortedByPosition(spans);
  // the common case: nothing overlaps, so there is nothing to choose
  if (isDisjoint(sorted)) return sorted;
  const out: PiiSpan[] = [];
  let clusterStart = 0;
  let clusterEnd = -1;
  for (let i = 0; i < sorted.length; i++) {
    const span = sorted[i]!;
    if (span.start >= clusterEnd && i > clusterStart) {
      resolveCluster(sorted.slice(clusterStart, i), out);
      clusterStart = i;
    }
    clusterEnd = Math.max(clusterEnd, span.end);
  }
  if (sorted.length > clusterStart) resolveCluster(sorted.slice(clusterStart), out);
  return out;
}

// The JSONL form of an exported trail, one object a line, for SIEMs and for offline verification: a `trail` line
// says whose trail and whether it is whole, then `entry` lines (each with its hash and its predecessor's), then the
// signed `checkpoint` lines and the signed `purge_marker` lines (entries before the first one left were purged).
import { z } from 'zod';
import { StewardError } from '../errors';
import type { PurgeMarker, SignedCheckpoint } from './chain-verify';
import type { StoredChainEntry, TrailFilter } from './audit-trail';
import { formatZodIssues } from '../common/zod-issues';

const TrailLine = z.object({
  kind: z.literal('trail'),
  tenant: z.string().min(1),
  complete: z.boolean(),
  filter: z.object({ run_id: z.string().optional(), type: z.string().optional(), since: z.string().optional() }),
});
const EntryLine = z.object({
  kind: z.literal('entry'),
  seq: z.number().int().positive(),
  id: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prev_hash: z.string().regex(/^[0-9a-f]{64}$/),
  type: z.string(),
  run_id: z.string().nullable(),
  workflow_id: z.string().nullable(),
  step: z.string().nullable(),
  attempt: z.number().int().nullable(),
  user_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
});
const signedFields = {
  seq: z.number().int().positive(),
  hash: z.string(),
  key_version: z.number().int().positive(),
  signature: z.string(),
};
const CheckpointLine = z.object({ kind: z.literal('checkpoint'), ...signedFields });
const PurgeMarkerLine = z.object({ kind: z.literal('purge_marker'), ...signedFields });
const ExportLine = z.discriminatedUnion('kind', [TrailLine, EntryLine, CheckpointLine, PurgeMarkerLine]);

export interface ParsedExport {
  tenant: string;
  complete: boolean;
  entries: StoredChainEntry[];
  checkpoints: SignedCheckpoint[];
  purgeMarkers: PurgeMarker[];
}

export function trailLine(tenant: string, filter: TrailFilter): string {
  const complete = filter.runId === undefined && filter.type === undefined && filter.since === undefined;
  const shown = { run_id: filter.runId, type: filter.type, since: filter.since?.toISOString() };
  return JSON.stringify({ kind: 'trail', tenant, complete, filter: shown });
}

export function entryLine(entry: StoredChainEntry): string {
  const { content } = entry;
  return JSON.stringify({
    kind: 'entry',
    seq: entry.seq,
    id: entry.id,
    hash: entry.hash,
    prev_hash: entry.prevHash,
    type: content.type,
    run_id: content.runId,
    workflow_id: content.workflowId,
    step: content.step,
    attempt: content.attempt,
    user_id: content.userId,
    agent_id: content.agentId,
    payload: content.payload,
    created_at: content.createdAt,
  });
}

export function checkpointLine(checkpoint: SignedCheckpoint): string {
  return JSON.stringify({ kind: 'checkpoint', seq: checkpoint.seq, hash: checkpoint.hash, key_version: checkpoint.keyVersion, signature: checkpoint.signature });
}

export function purgeMarkerLine(marker: PurgeMarker): string {
  return JSON.stringify({ kind: 'purge_marker', seq: marker.seq, hash: marker.hash, key_version: marker.keyVersion, signature: marker.signature });
}

/** Parses an export; a malformed line is bad input named by its line number and field. */
export function parseExport(text: string): ParsedExport {
  const parsed: ParsedExport = { tenant: '', complete: false, entries: [], checkpoints: [], purgeMarkers: [] };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const where = `line ${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new StewardError('INPUT_INVALID', `${where}: not JSON`);
    }
    const line = ExportLine.safeParse(json);
    if (!line.success) {
      throw new StewardError('INPUT_INVALID', `${where}: ${formatZodIssues(line.error, { root: 'line', max: 1 })}`);
    }
    const value = line.data;
    if (value.kind === 'trail') {
      if (parsed.tenant) throw new StewardError('INPUT_INVALID', `${where}: a second trail line`);
      parsed.tenant = value.tenant;
      parsed.complete = value.complete;
    } else if (!parsed.tenant) {
      throw new StewardError('INPUT_INVALID', `${where}: an export starts with its trail line`);
    } else if (value.kind === 'entry') {
      const { seq, id, hash, prev_hash: prevHash, type, run_id: runId, workflow_id: workflowId, step, attempt, user_id: userId, agent_id: agentId, payload } = value;
      parsed.entries.push({ seq, id, hash, prevHash, content: { type, runId, workflowId, step, attempt, userId, agentId, payload, createdAt: value.created_at } });
    } else {
      const signed = { seq: value.seq, hash: value.hash, keyVersion: value.key_version, signature: value.signature };
      (value.kind === 'checkpoint' ? parsed.checkpoints : parsed.purgeMarkers).push(signed);
    }
  });
  if (!parsed.tenant) throw new StewardError('INPUT_INVALID', 'the export has no trail line: is it a `steward audit export`?');
  parsed.entries.sort((a, b) => a.seq - b.seq);
  return parsed;
}

// The recorded histories kept for replay, in sets (one folder per recording, e.g. histories/2026-11-22/): one JSON
// file per run (Temporal's history JSON, as `temporal workflow show --output json` writes it) and an index naming
// the workflow id each was recorded under. Older sets stay: they are the runs that were in flight before a change.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { findProjectRoot } from '../../src/config/project-root';
import { historyFromJson } from './history-json';

export const HISTORIES_DIR = join(findProjectRoot(), 'test', 'replay', 'histories');
const INDEX_FILE = 'index.json';

export interface StoredHistory {
  /** `<set>/<run>`, e.g. `2026-11-22/approval`. */
  name: string;
  /** Histories hold no workflow id, and the interpreter derives child ids and idempotency keys from it. */
  workflowId: string;
  /** The history in Temporal's JSON form. */
  json: { events: unknown[] };
}

/** Writes one set, replacing an earlier recording of the same set only. */
export function writeHistorySet(set: string, histories: Array<Omit<StoredHistory, 'name'> & { run: string }>): string {
  const dir = join(HISTORIES_DIR, set);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const index: Record<string, { workflowId: string }> = {};
  for (const history of histories) {
    writeFileSync(join(dir, `${history.run}.json`), `${JSON.stringify(history.json, null, 2)}\n`);
    index[history.run] = { workflowId: history.workflowId };
  }
  writeFileSync(join(dir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  return dir;
}

export function readStoredHistories(): StoredHistory[] {
  return listSets().flatMap((set) => {
    const index = JSON.parse(readFileSync(join(HISTORIES_DIR, set, INDEX_FILE), 'utf8')) as Record<string, { workflowId: string }>;
    return Object.entries(index).map(([run, { workflowId }]) => ({
      name: `${set}/${run}`,
      workflowId,
      json: JSON.parse(readFileSync(join(HISTORIES_DIR, set, `${run}.json`), 'utf8')) as StoredHistory['json'],
    }));
  });
}

/** History files on disk (`<set>/<run>`), whether or not an index lists them. */
export function listHistoryFiles(): string[] {
  return listSets().flatMap((set) =>
    readdirSync(join(HISTORIES_DIR, set))
      .filter((file) => file.endsWith('.json') && file !== INDEX_FILE)
      .map((file) => `${set}/${file.slice(0, -'.json'.length)}`),
  );
}

function listSets(): string[] {
  return readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(HISTORIES_DIR, entry.name, INDEX_FILE)))
    .map((entry) => entry.name)
    .sort();
}

/** What `Worker.runReplayHistories` takes. */
export function toReplayInput(histories: StoredHistory[]): HistoryAndWorkflowId[] {
  return histories.map((stored) => ({ workflowId: stored.workflowId, history: historyFromJson(stored.json) }));
}

// Keeps every request the model server received, so tests and demos can check what a provider would have seen.
// Dev only: bodies hold prompts. API keys are never kept, only whether the presented key was accepted.
import { performance } from 'node:perf_hooks';

export type AuthOutcome = 'valid' | 'invalid' | 'missing';

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  protocol: 'openai' | 'anthropic' | null;
  auth: AuthOutcome | null;
  /** Epoch milliseconds (fractional) when the request arrived and when its response was sent or abandoned. */
  received_at: number;
  finished_at: number | null;
  status: number | null;
  /** `aborted` when the client went away before the response was sent. */
  outcome: 'pending' | 'answered' | 'aborted';
  body: unknown;
}

export interface Recorder {
  start(entry: Pick<RecordedRequest, 'method' | 'path' | 'protocol'>): RecordedRequest;
  finish(entry: RecordedRequest, outcome: { status: number } | 'aborted'): void;
  list(): RecordedRequest[];
  clear(): void;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function createRecorder(): Recorder {
  let entries: RecordedRequest[] = [];
  let sequence = 0;
  return {
    start(entry) {
      sequence += 1;
      const recorded: RecordedRequest = {
        ...entry,
        seq: sequence,
        auth: null,
        received_at: nowMs(),
        finished_at: null,
        status: null,
        outcome: 'pending',
        body: null,
      };
      entries.push(recorded);
      return recorded;
    },
    finish(entry, outcome) {
      entry.finished_at = nowMs();
      if (outcome === 'aborted') entry.outcome = 'aborted';
      else {
        entry.outcome = 'answered';
        entry.status = outcome.status;
      }
    },
    list: () => entries.map((entry) => ({ ...entry })),
    clear() {
      entries = [];
    },
  };
}

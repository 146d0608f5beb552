// What a run tells its worker for the worker's metrics, through a Temporal sink: called from workflow code, run by the
// worker outside the sandbox, and never during replay, so a run is counted once however often it is replayed.
// Workflow-safe; the workflow passes the definition's id and outcomes only, never run data.
import type { Sink, Sinks } from '@temporalio/workflow';

export type RunEnd = 'completed' | 'failed';

export interface RunEventsSink extends Sink {
  /** A run began (not a continuation of one). */
  started(workflow: string): void;
  ended(workflow: string, outcome: RunEnd): void;
  /** An approval node was decided (approved, rejected or expired) after waiting `waitedMs` of workflow time. */
  approvalDecided(workflow: string, outcome: string, waitedMs: number): void;
}

export interface RunSinks extends Sinks {
  runEvents: RunEventsSink;
}

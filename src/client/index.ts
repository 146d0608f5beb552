// The typed TypeScript client, the package's public entry (package.json `main`): what callers may use, and nothing else.
export { StewardClient, type CancelOutcome, type RegisteredDefinition, type RunViewer, type StartRunRequest } from './steward-client';
export { RunHandle, type ApprovalAnswer, type ApprovalRequest, type RunOutcome } from './run-handle';
export { AGENT_WORKFLOW_TYPE, DECISION_REFUSALS, RUN_STATUSES, type DecisionRefusal, type RunProgress, type RunStatus } from '../contract/messages';
export { RUN_FAILURES, runFailureType, type RunFailureType } from '../contract/failures';
export { describeRunFailure, type RunFailureReport } from './run-failure';
export { RUN_VIEW_STATUSES, type RunFilter, type RunSummary, type RunViewStatus } from './run-list';
export type { RunTrace, TraceEntry } from './run-trace';
export type { RunDetails } from './run-view';
export type { PendingApproval } from '../approvals/approval-records';
export type { Definition } from '../ir/schema';

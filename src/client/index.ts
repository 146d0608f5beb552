// The typed TypeScript client, the package's public entry (package.json `main`): what callers may use, and nothing else.
export { StewardClient, type RegisteredDefinition, type StartRunRequest } from './steward-client';
export { RunHandle, type ApprovalAnswer, type ApprovalRequest } from './run-handle';
export { AGENT_WORKFLOW_TYPE, DECISION_REFUSALS, RUN_STATUSES, type DecisionRefusal, type RunProgress, type RunStatus } from '../contract/messages';
export { RUN_FAILURES, runFailureType, type RunFailureType } from '../contract/failures';
export type { PendingApproval } from '../approvals/approval-records';
export type { Definition } from '../ir/schema';

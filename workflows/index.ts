// Workflow code: deterministic only. Imports are limited to @temporalio/workflow and pure modules (src/ir);
// activities are imported as types. Lint (eslint.config.mjs) and Temporal's bundler enforce it.
export { agentWorkflow } from './agent-workflow';
export type { AgentRunArgs } from './agent-workflow';
export { retentionWorkflow } from './retention-workflow';

// The LLM module's public surface: provider calls (activities only) on top of the workflow-safe pieces in pure.ts.
export * from './pure';
export { callModel, DEFAULT_TIMEOUT_MS, type CallModelOptions, type RetryNotice } from './call-model';
export { createOutputValidator, extractJson } from './output-validator';
export { hashPrompt } from './prompt-hash';

// The workflow-safe part of the LLM module (no Node built-ins, no I/O, no code generation): a workflow may import
// this file to drive the tool loop one activity at a time and to check budgets before scheduling a model call.
export * from './types';
export { LlmError, isLlmError, isRetryableLlmError, type LlmErrorCode, type LlmErrorDetails } from './errors';
export {
  DEFAULT_MAX_ITERATIONS,
  TRUNCATION_MARK,
  addToolResults,
  nextModelRequest,
  recordModelResponse,
  startToolLoop,
  type OnExhausted,
  type ToolLoopLimits,
  type ToolLoopState,
  type ToolLoopStep,
  type ToolResult,
  type ToolResultsStep,
} from './tool-loop-steps';
export { runToolLoop, type RunToolLoopOptions, type ToolLoopResult } from './run-tool-loop';
export { buildRepairMessage, buildRepairRequest, ensureStructuredOutput, type StructuredOutput } from './structured-output';
export type { OutputCheck, OutputValidator } from './output-validator';
export { applyInputGuard, type InputGuardPolicy, type InputGuardResult } from './input-guard/apply-input-guard';
export { scanUntrustedText, type InjectionFinding } from './input-guard/scan-untrusted-text';
export type { InjectionKind } from './input-guard/rules';
export {
  DEFAULT_PRICES,
  DEFAULT_PRICE_TABLE,
  ModelPrice,
  PriceConfig,
  costOf,
  createPriceTable,
  findPrice,
  microUsdToUsd,
  usdToMicroUsd,
  type MicroUsd,
  type PriceTable,
} from './prices';
export { assertWithinBudget, checkBudget, type BudgetCheck, type BudgetDecision, type BudgetLimits } from './budget';
export { DEFAULT_RETRY_POLICY, computeBackoffMs, parseRetryAfter, type RetryPolicy } from './retry-policy';

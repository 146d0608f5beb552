// One model call under the ledger: the run's caps and the tenant's daily budget are checked and the call reserved at
// its worst-case cost BEFORE the provider is asked; afterwards the call is settled with its tokens and exact cost,
// and every call gets an audit entry (keyed prompt hash, provider, model, tokens, cost; the prompt text only when the
// policy retains prompts). The API key never reaches the ledger or the audit trail.
//
// callModel retries some failures itself (429, 5xx, timeouts). A failed attempt the provider may have billed (a
// timeout, a 5xx) is a call of its own: its row is closed as unanswered, keeping its estimate, and the retry is
// reserved anew under the caps, so it may be refused. Attempts the provider never took (a 429, a refused connection)
// share the row of the attempt that follows them. An answered call is settled through a short database outage when
// the run waits outages out: its answer is kept, not asked for (and billed) again.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../audit/audit-log';
import { isStewardError, StewardError } from '../errors';
import { retryThroughOutage } from '../faults/retry-through-outage';
import type { DataPolicy } from '../pii/policy';
import type { TenantId } from '../tenancy/tenant-id';
import type { BudgetLimits, EnclosingRun } from './budget';
import { callModel, type CallModelOptions } from './call-model';
import { estimateCallCost } from './cost-estimate';
import { LlmError } from './errors';
import { BudgetExceededError, closeUnansweredLlmCall, failLlmCall, reserveLlmCall, settleLlmCall, type LedgerCall } from './ledger';
import { DEFAULT_PRICE_TABLE, costOf, findPrice, microUsdToUsd, type MicroUsd, type PriceTable } from './prices';
import { hashPrompt } from './prompt-hash';
import { redactPromptForAudit } from './prompt-masking';
import type { ModelRequest, ModelResponse } from './types';
import type { RunMetrics } from '../telemetry/run-metrics';
import { SpanKind, withSpan } from '../telemetry/spans';

export interface MeteredCallContext {
  pool: Pool;
  tenant: TenantId;
  /** Who and where: the run, the agent (definition id), the node and the activity attempt. */
  call: Omit<LedgerCall, 'provider' | 'model'>;
  limits: BudgetLimits;
  /** The runs that started this one, root first: their caps count this call too. */
  enclosing?: readonly EnclosingRun[];
  /** The run's user, for audit entries. */
  user?: string;
  policy: DataPolicy;
  prices?: PriceTable;
  /** The tenant's PII HMAC key: prompt hashes are keyed with it, so a hash cannot be reversed by trying values. */
  promptHashKey: Uint8Array;
  /**
   * Set when the run waits out outages: a call the provider answered is settled and audited through a database
   * outage until this aborts (the attempt's deadline), so the answer is kept rather than paid for again.
   */
  settleThroughOutageUntil?: AbortSignal;
  /** Counts the call's tokens and cost for the worker's metrics. */
  metrics?: RunMetrics;
}

function promptText(request: ModelRequest): string {
  return JSON.stringify({ system: request.system, messages: request.messages });
}

function costFields(costMicroUsd: MicroUsd): { cost_micro_usd: MicroUsd; cost_usd: number } {
  return { cost_micro_usd: costMicroUsd, cost_usd: microUsdToUsd(costMicroUsd) };
}

/** A `call` function for one step: each invocation is one metered model call. */
export function createMeteredCall(context: MeteredCallContext, options: CallModelOptions): (request: ModelRequest) => Promise<ModelResponse> {
  const prices = context.prices ?? DEFAULT_PRICE_TABLE;
  const audit = (type: string, payload: Record<string, unknown>) =>
    recordAuditEvent(context.pool, context.tenant, {
      type,
      workflowId: context.call.workflowId,
      runId: context.call.runId,
      step: context.call.node,
      attempt: context.call.attempt,
      userId: context.user,
      agentId: context.call.agent,
      payload,
    });

  const settling = context.settleThroughOutageUntil;
  const settle = <T>(write: () => Promise<T>): Promise<T> => (settling ? retryThroughOutage(write, settling) : write());

  // One span per call, named and described the GenAI conventions' way: the provider, the models, the token counts.
  return (request) =>
    withSpan(`chat ${request.model}`, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': options.provider, 'gen_ai.request.model': request.model } }, async (span) => {
      const { response, costMicroUsd } = await call(request);
      const cost = microUsdToUsd(costMicroUsd);
      span.setAttributes({
        'gen_ai.response.model': response.model,
        'gen_ai.usage.input_tokens': response.usage.inputTokens,
        'gen_ai.usage.output_tokens': response.usage.outputTokens,
        'steward.llm.cost_usd': cost,
      });
      context.metrics?.llmCall({ tenant: context.tenant, workflow: context.call.agent, model: response.model }, { ...response.usage, costUsd: cost });
      return response;
    });

  async function call(request: ModelRequest): Promise<{ response: ModelResponse; costMicroUsd: MicroUsd }> {
    const provider = options.provider;
    // A call that could not be priced could not be capped either: refuse it before anything is spent.
    if (!findPrice(request.model, prices)) {
      throw new StewardError('CONFIG_INVALID', `no price for model ${JSON.stringify(request.model)}: add it to the price table`);
    }
    const promptHash = hashPrompt(request, context.promptHashKey, provider);
    const estimate = estimateCallCost(request, prices);
    const described = { provider, model: request.model, prompt_hash: promptHash };
    const retained = context.policy.retain_prompts ? { prompt: redactPromptForAudit(promptText(request), context.policy) } : {};

    const reserve = async (): Promise<string> => {
      try {
        return await reserveLlmCall(context.pool, context.tenant, { ...context.call, provider, model: request.model }, context.limits, estimate, context.enclosing);
      } catch (error) {
        if (error instanceof BudgetExceededError) {
          const { scope, workflowId, limit } = error.refusal;
          await audit('llm.budget_exceeded', { ...described, scope, ...(workflowId ? { enclosing_workflow_id: workflowId } : {}), limit, estimated_cost_micro_usd: estimate });
        }
        throw error;
      }
    };
    const closeUnsettled = async (id: string, error: unknown): Promise<void> => {
      const billable = error instanceof LlmError && error.billable;
      if (billable) await closeUnansweredLlmCall(context.pool, context.tenant, id, promptHash);
      else await failLlmCall(context.pool, context.tenant, id, promptHash);
      await audit('llm.call', {
        ...described,
        ...retained,
        ledger_id: id,
        outcome: billable ? 'unanswered' : 'failed',
        error_code: isStewardError(error) ? error.code : 'INTERNAL',
        ...costFields(billable ? estimate : 0),
        ...(billable ? { cost_estimated: true } : {}),
      });
    };

    // The row of the attempt under way; undefined only between closing an attempt and reserving its retry.
    let id: string | undefined = await reserve();
    let response: ModelResponse;
    try {
      response = await callModel(request, {
        ...options,
        onRetry: async (notice) => {
          if (notice.error.billable && id !== undefined) {
            const attempted = id;
            id = undefined;
            await closeUnsettled(attempted, notice.error);
            id = await reserve();
          }
          await options.onRetry?.(notice);
        },
      });
    } catch (error) {
      if (id !== undefined) await closeUnsettled(id, error);
      throw error;
    }
    if (id === undefined) throw new StewardError('INTERNAL', 'a model call was answered without a ledger row');
    // Priced as the model that answered (a dated snapshot prices as its base), else as the model asked for.
    const pricedAs = findPrice(response.model, prices) ? response.model : request.model;
    const costMicroUsd = costOf(response.usage, pricedAs, prices);
    const answered = id;
    await settle(() => settleLlmCall(context.pool, context.tenant, answered, { provider, model: response.model, usage: response.usage, costMicroUsd, promptHash }));
    await settle(() => audit('llm.call', {
      ...described,
      ...retained,
      model: response.model,
      ledger_id: id,
      outcome: 'completed',
      prompt_tokens: response.usage.inputTokens,
      completion_tokens: response.usage.outputTokens,
      ...costFields(costMicroUsd),
      tool_calls: response.toolCalls.map((call) => call.name),
    }));
    return { response, costMicroUsd };
  }
}

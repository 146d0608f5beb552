// The `llm` node, one model turn per activity: renders the prompt, resolves the provider key from the tenant's
// secrets (bring your own key), guards and masks what the model will read, and makes the call under the ledger's
// caps. It answers with text (validated against output_schema, with one repair) or with the tool calls the model
// asked for, which the workflow runs as activities of their own. The key exists only inside this activity.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { StewardError } from '../src/errors';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { Limits, LlmNode } from '../src/ir/schema';
import {
  DEFAULT_TIMEOUT_MS,
  createOutputValidator,
  ensureStructuredOutput,
  isLlmError,
  type ChatMessage,
  type ModelRequest,
  type ToolCall,
  type ToolDefinition,
  type Usage,
} from '../src/llm';
import { DEFAULT_INPUT_GUARD, guardTurn } from '../src/llm/input-guard/guard-turn';
import type { ValueFinding } from '../src/llm/input-guard/guard-values';
import type { EnclosingRun } from '../src/llm/budget';
import { boundOutput } from '../src/llm/cost-estimate';
import { readTenantDailyBudget, readTenantPriceTable } from '../src/llm/ledger';
import { createMeteredCall } from '../src/llm/metered-call';
import type { RunMetrics } from '../src/telemetry/run-metrics';
import { createPromptMasking, maskConversation } from '../src/llm/prompt-masking';
import { DataPolicy } from '../src/pii/policy';
import { loadTenantPhoneRegions, withTenantPhoneRegions } from '../src/tenancy/tenant-phone-regions';
import { withFailureMapping } from './failures';
import { resolveSecretsFor, withScrubbing, type SecretDeps } from './secrets';

export interface LlmCallRequest {
  nodeId: string;
  node: LlmNode;
  scope: ExpressionScope;
  secretReferences: Record<string, string>;
  /** The definition's data policy: unless it sets send_pii_to_provider, prompts carry masked values only. */
  dataPolicy?: DataPolicy;
  /** The definition acting: the agent of ledger rows and audit entries. */
  agent?: string;
  /** The run's user (their subject), for audit entries. */
  user?: string;
  /** The run's caps, checked before every call. */
  limits?: Pick<Limits, 'max_llm_calls' | 'max_cost_usd'>;
  /** The runs that started this one, root first, with their caps: a sub-workflow's calls count against them too. */
  enclosing?: EnclosingRun[];
  /** Tool loop: the tools offered to the model. */
  tools?: ToolDefinition[];
  /** Tool loop: the turns after the prompt so far (the model's answers and the tool results). */
  conversation?: ChatMessage[];
  /** The run waits out a dependency's outage, so this call reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

export interface LlmCallResult {
  text: string;
  output?: unknown;
  usage: Usage;
  model: string;
  provider: string;
  /** Tools the model asked for, each to be run by the workflow as its own activity. */
  toolCalls?: ToolCall[];
}

export interface LlmEvent {
  nodeId: string;
  type: 'security.tool_call_refused';
  agent?: string;
  user?: string;
  payload: { tool: string; reason: string };
  /** The run waits out a dependency's outage, so this write reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

export interface LlmDeps extends SecretDeps {
  pool: Pool;
  /** Base URLs used when a node names none (e.g. the local model server in development). */
  defaultBaseUrls?: { openai?: string; anthropic?: string };
  /** The tenant's PII HMAC key: prompt hashes are keyed with it, so a prompt's PII cannot be guessed back. */
  piiHmacKey?: Uint8Array;
  /** The worker's metrics: each model call's tokens and cost. */
  metrics?: RunMetrics;
}

// Often enough that a cancelled run reaches the call soon (the SDK throttles what it sends to the server).
const HEARTBEAT_INTERVAL_MS = 1_000;
const MAX_FINDINGS_AUDITED = 20;

export function createCallLlm(deps: LlmDeps) {
  return async function callLlm(call: LlmCallRequest): Promise<LlmCallResult> {
    const context = Context.current();
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      // LLM errors first (they know whether retrying helps), then the other Steward errors (bad configuration).
      return await withFailureMapping(() =>
        withScrubbing(deps.scrubber, call.nodeId, () => withLlmFailureMapping(call.nodeId, () => takeTurn(deps, call, context))),
        { waitsOutOutages: call.waitsOutOutages },
      );
    } catch (error) {
      // A cancelled turn completes as cancelled (the SDK's CancelledFailure), not as a failed model call.
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  };
}

/** Records an event the workflow decided on (a refused tool call) in the tenant's audit trail. */
export function createRecordLlmEvent(deps: { pool: Pool; tenant: SecretDeps['tenant'] }) {
  return async function recordLlmEvent(event: LlmEvent): Promise<void> {
    const info = Context.current().info;
    const entry = {
      type: event.type,
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      step: event.nodeId,
      userId: event.user,
      agentId: event.agent,
      payload: event.payload,
    };
    await withFailureMapping(() => recordAuditEvent(deps.pool, deps.tenant, entry), { waitsOutOutages: event.waitsOutOutages });
  };
}

async function takeTurn(deps: LlmDeps, call: LlmCallRequest, context: Context): Promise<LlmCallResult> {
  const promptHashKey = deps.piiHmacKey;
  if (!promptHashKey) throw new StewardError('CONFIG_INVALID', `the worker of tenant ${deps.tenant} has no PII key to hash prompts with`);
  const startedAt = Date.now();
  const { node } = call;
  const info = context.info;
  const definitionPolicy = call.dataPolicy ?? DataPolicy.parse({});
  // a definition that names no phone regions uses the tenant's default, as the codec does for its payloads
  const policy = definitionPolicy.phone_regions === undefined ? withTenantPhoneRegions(definitionPolicy, await loadTenantPhoneRegions(deps.pool, deps.tenant)) : definitionPolicy;
  const where = { workflowId: info.workflowExecution?.workflowId ?? info.activityId, runId: info.workflowExecution?.runId ?? '', agent: call.agent ?? 'unknown', node: call.nodeId, attempt: info.attempt };

  const guardPolicy = node.input_guard ?? DEFAULT_INPUT_GUARD;
  const guarded = guardTurn(call.scope, call.conversation ?? [], guardPolicy);
  if (guarded.findings.length > 0) {
    await auditGuard(deps, call, where, guardPolicy, guarded.blocked, guarded.findings);
  }
  if (guarded.blocked) {
    const sources = [...new Set(guarded.findings.map((finding) => finding.path))].join(', ');
    const kinds = [...new Set(guarded.findings.map((finding) => finding.kind))].join(', ');
    throw ApplicationFailure.create({ type: 'INPUT_BLOCKED', message: `nodes.${call.nodeId}: the input guard blocked untrusted text in ${sources} (${kinds})`, nonRetryable: true });
  }

  const secrets = await resolveSecretsFor(deps, node.api_key, call.secretReferences);
  const apiKey = node.api_key === undefined ? '' : String(renderTemplate(node.api_key, { ...call.scope, secrets }));
  const masking = createPromptMasking(guarded.scope, policy);
  const asked: ModelRequest = {
    model: node.model,
    system: node.system === undefined ? undefined : masking.render(node.system),
    messages: [{ role: 'user', content: masking.render(node.prompt) }, ...maskConversation(guarded.conversation, masking)],
    tools: call.tools?.length ? call.tools : undefined,
    temperature: node.temperature,
    maxTokens: node.max_tokens,
    outputSchema: node.output_schema ? { schema: node.output_schema } : undefined,
  };
  const [{ table: prices }, dailyBudget] = await Promise.all([readTenantPriceTable(deps.pool, deps.tenant), readTenantDailyBudget(deps.pool, deps.tenant)]);
  // Under any cost cap the call's output is bounded, so the worst case the ledger reserves is one the provider keeps to.
  const costCapped = dailyBudget !== null || [call.limits, ...(call.enclosing ?? []).map((run) => run.limits)].some((limits) => limits?.max_cost_usd !== undefined);
  const request = costCapped ? boundOutput(asked) : asked;
  // Nothing outlives the activity's own deadline: once Temporal has timed it out, its retry takes over.
  const attempt = AbortSignal.any([context.cancellationSignal, AbortSignal.timeout(Math.max(1, info.startToCloseTimeoutMs - (Date.now() - startedAt)))]);
  const metered = createMeteredCall(
    {
      pool: deps.pool,
      tenant: deps.tenant,
      call: where,
      limits: call.limits ?? {},
      enclosing: call.enclosing,
      user: call.user,
      policy,
      prices,
      promptHashKey,
      metrics: deps.metrics,
      ...(call.waitsOutOutages ? { settleThroughOutageUntil: attempt } : {}),
    },
    {
      provider: node.provider,
      baseUrl: node.base_url ?? deps.defaultBaseUrls?.[node.provider],
      apiKey,
      timeoutMs: Math.min(DEFAULT_TIMEOUT_MS, info.startToCloseTimeoutMs),
      signal: attempt,
      onRetry: () => context.heartbeat(),
    },
  );
  const response = await metered(request);
  const answered = { text: response.text, usage: response.usage, model: response.model, provider: response.provider };
  if (response.toolCalls.length > 0) return { ...answered, toolCalls: response.toolCalls };
  if (!node.output_schema) return answered;
  const structured = await ensureStructuredOutput({ request, response, check: createOutputValidator(node.output_schema), call: metered });
  const usage = structured.responses.reduce(
    (sum, next) => ({ inputTokens: sum.inputTokens + next.usage.inputTokens, outputTokens: sum.outputTokens + next.usage.outputTokens }),
    { inputTokens: 0, outputTokens: 0 },
  );
  const last = structured.responses[structured.responses.length - 1]!;
  return { text: last.text, output: structured.value, usage, model: last.model, provider: last.provider };
}

async function auditGuard(
  deps: LlmDeps,
  call: LlmCallRequest,
  where: { workflowId: string; runId: string; agent: string; attempt: number },
  policy: string,
  blocked: boolean,
  findings: ValueFinding[],
): Promise<void> {
  await recordAuditEvent(deps.pool, deps.tenant, {
    type: 'security.input_guard',
    workflowId: where.workflowId,
    runId: where.runId,
    step: call.nodeId,
    attempt: where.attempt,
    userId: call.user,
    agentId: where.agent,
    payload: {
      policy,
      action: blocked ? 'blocked' : policy === 'sanitize' ? 'sanitized' : 'flagged',
      findings: findings.slice(0, MAX_FINDINGS_AUDITED),
      findings_total: findings.length,
    },
  });
}

/** LLM failures that retrying cannot fix end the step with their code, routable to the node's on_error. */
async function withLlmFailureMapping<T>(nodeId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isLlmError(error) && !error.retryable) {
      throw ApplicationFailure.create({ type: error.code, message: `nodes.${nodeId}: ${error.message}`, nonRetryable: true });
    }
    throw error;
  }
}

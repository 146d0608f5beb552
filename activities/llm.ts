// The `llm` node: renders the prompt, resolves the provider key from the tenant's secrets (bring your own key),
// calls the provider and validates structured output. The key exists only inside this activity.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { LlmNode } from '../src/ir/schema';
import { callModel, createOutputValidator, ensureStructuredOutput, isLlmError, type ModelRequest, type Usage } from '../src/llm';
import { applyDataPolicySync, redactText } from '../src/pii';
import { DataPolicy } from '../src/pii/policy';
import { resolveSecretsFor, withScrubbing, type SecretDeps } from './secrets';

export interface LlmCallRequest {
  nodeId: string;
  node: LlmNode;
  scope: ExpressionScope;
  secretReferences: Record<string, string>;
  /** The definition's data policy: unless it sets send_pii_to_provider, prompts carry masked values only. */
  dataPolicy?: DataPolicy;
}

export interface LlmCallResult {
  text: string;
  output?: unknown;
  usage: Usage;
  model: string;
  provider: string;
}

export interface LlmDeps extends SecretDeps {
  /** Base URLs used when a node names none (e.g. the local model server in development). */
  defaultBaseUrls?: { openai?: string; anthropic?: string };
}

export function createCallLlm(deps: LlmDeps) {
  return async function callLlm(call: LlmCallRequest): Promise<LlmCallResult> {
    const { node } = call;
    return withScrubbing(deps.scrubber, async () => {
      try {
        const secrets = await resolveSecretsFor(deps, node.api_key, call.secretReferences);
        const apiKey = node.api_key === undefined ? '' : String(renderTemplate(node.api_key, { ...call.scope, secrets }));
        const prompt = createPromptRenderer(call.scope, call.dataPolicy);
        const request: ModelRequest = {
          model: node.model,
          system: node.system === undefined ? undefined : prompt(node.system),
          messages: [{ role: 'user', content: prompt(node.prompt) }],
          temperature: node.temperature,
          maxTokens: node.max_tokens,
          outputSchema: node.output_schema ? { schema: node.output_schema } : undefined,
        };
        const options = {
          provider: node.provider,
          baseUrl: node.base_url ?? deps.defaultBaseUrls?.[node.provider],
          apiKey,
          signal: Context.current().cancellationSignal,
          onRetry: () => Context.current().heartbeat(),
        };
        const call1 = (r: ModelRequest) => callModel(r, options);
        const response = await call1(request);
        if (!node.output_schema) return { text: response.text, usage: response.usage, model: response.model, provider: response.provider };
        const structured = await ensureStructuredOutput({ request, response, check: createOutputValidator(node.output_schema), call: call1 });
        const usage = structured.responses.reduce((sum, r) => ({ inputTokens: sum.inputTokens + r.usage.inputTokens, outputTokens: sum.outputTokens + r.usage.outputTokens }), { inputTokens: 0, outputTokens: 0 });
        const last = structured.responses[structured.responses.length - 1]!;
        return { text: last.text, output: structured.value, usage, model: last.model, provider: last.provider };
      } catch (error) {
        if (isLlmError(error) && !error.retryable) {
          throw ApplicationFailure.create({ type: error.code, message: `nodes.${call.nodeId}: ${error.message}`, nonRetryable: true });
        }
        throw error;
      }
    });
  };
}

// Mask mode needs no key; the policy context asks for one.
const NO_KEY = new Uint8Array(32);

/**
 * Renders prompt templates. Unless the policy allows PII to reach the provider, the values templates read are
 * masked first (fields named by pii_fields whatever their content), and the rendered text is scanned again.
 */
function createPromptRenderer(scope: ExpressionScope, policy: DataPolicy | undefined): (template: string) => string {
  const effective = policy ?? DataPolicy.parse({});
  if (effective.send_pii_to_provider) return (template) => String(renderTemplate(template, scope));
  const masking = { ...effective, redaction_mode: 'mask' as const };
  const mask = (value: unknown) => applyDataPolicySync(value, masking, { hmacKey: NO_KEY });
  const masked: ExpressionScope = { ...scope, input: mask(scope.input), vars: mask(scope.vars) as Record<string, unknown>, nodes: mask(scope.nodes) as Record<string, unknown> };
  return (template) =>
    redactText(String(renderTemplate(template, masked)), { mode: 'mask', detectors: effective.pii_detectors, customDetectors: effective.custom_detectors });
}

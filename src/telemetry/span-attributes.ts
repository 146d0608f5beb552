// The attributes a Steward span may carry, by name: identifiers, counts, codes and models, never values from a run
// (its input, prompts, outputs, tool bodies, URLs' paths or queries, secrets, tokens). Everything else is dropped
// before export, whoever set it: the SDK's interceptors copy the whole workflow info into workflow spans, and an
// error's message may quote data, so the allow-list is the rule rather than care at every call site.
import type { Attributes } from '@opentelemetry/api';

export const SPAN_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  // Steward's own.
  'steward.tenant',
  'steward.workflow',
  'steward.workflow.version',
  'steward.node.id',
  'steward.node.type',
  'steward.error.code',
  'steward.llm.cost_usd',
  'steward.oauth.audience',
  'steward.oauth.scopes',
  'steward.oauth.cached',
  // OpenTelemetry's GenAI conventions: which model, how many tokens.
  'gen_ai.system',
  'gen_ai.operation.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  // OpenTelemetry's HTTP conventions, without url.full, url.path or url.query.
  'http.request.method',
  'http.response.status_code',
  'server.address',
  'server.port',
  'error.type',
  // What Temporal's interceptors set, and the workflow identity they copy into workflow spans.
  'temporalWorkflowId',
  'temporalActivityId',
  'run_id',
  'workflowId',
  'runId',
  'workflowType',
  'namespace',
  'taskQueue',
  'attempt',
]);

/** The attributes kept from `attributes`: those named in SPAN_ATTRIBUTE_KEYS with a string, number or boolean value. */
export function allowedAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!SPAN_ATTRIBUTE_KEYS.has(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') kept[key] = value;
  }
  return kept;
}

// zod schemas of the workflow IR v1 (the IR issue is normative) and the types derived from them.
// Workflow-safe: zod only. Cross-references (targets, loops, secrets, approvals) are checked in check-*.ts.
import { z } from 'zod';
import { DataPolicy } from '../pii/policy';
import { DURATION_PATTERN, isDuration } from './duration';
import { SecretReferenceText } from './secret-reference';

export const JsonValue = z.json();
export type JsonValue = z.infer<typeof JsonValue>;

export const JsonSchemaObject = z.record(z.string(), JsonValue).describe('a JSON Schema');
export type JsonSchemaObject = z.infer<typeof JsonSchemaObject>;

export const Slug = z
  .string()
  .max(100)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a slug: lowercase letters and digits separated by single hyphens');

// Node ids, variable names and secret names are CEL identifiers so expressions can read `nodes.<id>.output`.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const IDENTIFIER_MESSAGE = 'letters, digits and _, starting with a letter or _ (at most 64)';

export const NodeId = z.string().regex(IDENTIFIER, `a node id: ${IDENTIFIER_MESSAGE}`);
export const VarName = z.string().regex(IDENTIFIER, `a variable name: ${IDENTIFIER_MESSAGE}`);
export const SecretName = z.string().regex(IDENTIFIER, `a secret name: ${IDENTIFIER_MESSAGE}`);

export const Duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'a duration: a number and a unit (ms, s, m, h, d), e.g. 30s, 48h or 1h30m', abort: true })
  .refine(isDuration, 'duration is too long')
  .describe('a duration such as 500ms, 30s, 5m, 48h or 2d');

export const Expression = z.string().min(1, 'an expression must not be empty').describe('a CEL expression');

// A string is a CEL expression; any other JSON value is taken as is, with `{{ }}` templates in its strings rendered.
export const ValueExpression = JsonValue.describe(
  'a CEL expression (string), or a JSON value whose strings may hold {{ expr }} templates',
);

export const Template = z.string().describe('text that may hold {{ expr }} templates');

export const Retry = z.strictObject({
  max_attempts: z.int().min(1).optional(),
  initial_interval: Duration.optional(),
  backoff_coefficient: z.number().min(1).max(100).optional(),
  max_interval: Duration.optional(),
  non_retryable_errors: z.array(z.string().min(1)).optional(),
});
export type Retry = z.infer<typeof Retry>;

const common = {
  description: z.string().optional(),
  retry: Retry.optional(),
  timeout: Duration.optional(),
  on_error: NodeId.optional(),
};
const flowing = { ...common, next: NodeId.optional() };

export const SetNode = z.strictObject({
  type: z.literal('set'),
  ...flowing,
  values: z.record(VarName, ValueExpression).describe('variable name → value, stored under vars'),
});
export type SetNode = z.infer<typeof SetNode>;

export const ConditionBranch = z.strictObject({ when: Expression, next: NodeId });
export type ConditionBranch = z.infer<typeof ConditionBranch>;

// A condition routes through its branches and `default`, so it takes no `next`.
export const ConditionNode = z.strictObject({
  type: z.literal('condition'),
  ...common,
  branches: z.array(ConditionBranch).min(1, 'a condition needs at least one branch'),
  default: NodeId.optional(),
});
export type ConditionNode = z.infer<typeof ConditionNode>;

export const ParallelBranch = z.strictObject({ start: NodeId });
export type ParallelBranch = z.infer<typeof ParallelBranch>;

export const ParallelNode = z.strictObject({
  type: z.literal('parallel'),
  ...flowing,
  branches: z.array(ParallelBranch).min(1, 'a parallel node needs at least one branch'),
  join: z.enum(['all', 'any']).default('all'),
});
export type ParallelNode = z.infer<typeof ParallelNode>;

export const WaitNode = z
  .strictObject({
    type: z.literal('wait'),
    ...flowing,
    duration: Duration.optional(),
    until: Expression.optional().describe('a CEL expression giving a timestamp'),
    signal: z.string().min(1).max(200).optional().describe('the name of the signal to wait for'),
  })
  .superRefine((node, ctx) => {
    const kinds = [node.duration, node.until, node.signal].filter((kind) => kind !== undefined).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'a wait needs exactly one of duration, until or signal' });
  });
export type WaitNode = z.infer<typeof WaitNode>;

export const Approvers = z.strictObject({
  users: z.array(z.string().min(1)).default([]),
  groups: z.array(z.string().min(1)).default([]),
});
export type Approvers = z.infer<typeof Approvers>;

export const Escalation = z.strictObject({
  users: z.array(z.string().min(1)).default([]),
  groups: z.array(z.string().min(1)).default([]),
  timeout: Duration.optional(),
});
export type Escalation = z.infer<typeof Escalation>;

export const ApprovalNode = z
  .strictObject({
    type: z.literal('approval'),
    ...flowing,
    approvers: Approvers,
    required: z.int().min(1).default(1).describe('N of M: how many distinct approvers must approve'),
    on_timeout: z.enum(['reject', 'approve', 'escalate']).default('reject'),
    escalate_to: Escalation.optional(),
    message: Template.optional(),
    on_reject: NodeId.optional(),
    allow_self_approval: z.boolean().default(false),
  })
  .superRefine((node, ctx) => {
    if (node.approvers.users.length === 0 && node.approvers.groups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'name at least one approver user or group' });
    }
    if (node.approvers.groups.length === 0 && node.required > node.approvers.users.length) {
      ctx.addIssue({ code: 'custom', path: ['required'], message: 'required is larger than the number of approvers' });
    }
    if (node.on_timeout === 'escalate' && node.escalate_to === undefined) {
      ctx.addIssue({ code: 'custom', path: ['escalate_to'], message: 'on_timeout: escalate needs escalate_to' });
    }
  });
export type ApprovalNode = z.infer<typeof ApprovalNode>;

export const LlmTool = z.union([
  z.string().min(1).describe("a tool node's id in this definition, or a tool registered on the worker"),
  z.strictObject({
    name: z.string().min(1).describe("a tool node's id in this definition, or a tool registered on the worker"),
    description: z.string().optional().describe('what the model is told the tool does'),
    input_schema: JsonSchemaObject.optional().describe('JSON Schema of the arguments the model passes'),
  }),
]);
export type LlmTool = z.infer<typeof LlmTool>;

export const LlmNode = z.strictObject({
  type: z.literal('llm'),
  ...flowing,
  provider: z.enum(['openai', 'anthropic']),
  base_url: z.url().optional().describe('for OpenAI-compatible servers'),
  model: z.string().min(1),
  api_key: Template.optional().describe('{{ secrets.<name> }}, rendered inside the activity'),
  system: Template.optional(),
  prompt: Template,
  tools: z.array(LlmTool).optional(),
  output_schema: JsonSchemaObject.optional(),
  max_iterations: z.int().min(1).max(100).optional().describe('model calls the tool loop may make; else limits.max_iterations, else 5'),
  on_max_iterations: z
    .enum(['fail', 'last_answer'])
    .optional()
    .describe('when max_iterations ends the tool loop: fail with LIMIT_EXCEEDED (default) or keep the last answer'),
  input_guard: z
    .enum(['block', 'flag', 'sanitize'])
    .optional()
    .describe('what to do with prompt-injection markers in untrusted text (run data, tool results): flag (default), block or sanitize'),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.int().min(1).optional(),
});
export type LlmNode = z.infer<typeof LlmNode>;

export const HttpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  url: Template,
  headers: z.record(z.string().min(1), Template).optional(),
  body: JsonValue.optional(),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

export const OAuthScopes = z.strictObject({
  required_scopes: z.array(z.string().min(1)).min(1),
  audience: z.string().min(1).optional(),
});
export type OAuthScopes = z.infer<typeof OAuthScopes>;

export const ToolNode = z
  .strictObject({
    type: z.literal('tool'),
    ...flowing,
    tool: z.string().regex(/^[a-z][a-z0-9_.-]{0,99}$/, "'http' or a registered tool name (lowercase)"),
    request: HttpRequest.optional(),
    input: JsonValue.optional(),
    oauth_scopes: OAuthScopes.optional(),
    irreversible: z.boolean().default(false),
    idempotency_key: Template.optional(),
    approval: z.literal('waived').optional().describe('skip the approval an irreversible tool needs; give a reason'),
    reason: z.string().optional(),
  })
  .superRefine((node, ctx) => {
    if (node.tool === 'http' && node.request === undefined) {
      ctx.addIssue({ code: 'custom', path: ['request'], message: 'an http tool needs a request' });
    }
    if (node.tool !== 'http' && node.request !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['request'], message: 'request is only for the http tool; use input' });
    }
    if (node.approval === 'waived' && (node.reason ?? '').trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'approval: waived needs a non-empty reason' });
    }
  });
export type ToolNode = z.infer<typeof ToolNode>;

export const SubworkflowNode = z.strictObject({
  type: z.literal('subworkflow'),
  ...flowing,
  workflow: Slug,
  version: z.int().min(1).optional().describe('omit to use the latest registered version'),
  input: JsonValue.optional(),
});
export type SubworkflowNode = z.infer<typeof SubworkflowNode>;

// Calls another organisation's agent over A2A (JSON-RPC `message/send`, then `tasks/get` until the task ends),
// with mutual TLS and a bearer token. Every field is rendered inside activities; keys come from secrets only.
export const A2aNode = z.strictObject({
  type: z.literal('a2a'),
  ...flowing,
  agent_url: Template.describe("the remote agent's JSON-RPC endpoint, https://…"),
  token: Template.describe('{{ secrets.<name> }}: the bearer token the remote organisation issued to this agent'),
  client_certificate: Template.describe('{{ secrets.<name> }}: this agent\'s client certificate (PEM)'),
  client_key: Template.describe('{{ secrets.<name> }}: the client certificate\'s private key (PKCS#8 PEM)'),
  server_ca: Template.describe("the PEM of the CA that issued the remote endpoint's certificate, or {{ secrets.<name> }}"),
  input: JsonValue.optional().describe('sent as the message\'s data part; strings may hold {{ expr }} templates'),
  poll_interval: Duration.default('2s').describe('how long to wait between tasks/get calls (a durable timer)'),
});
export type A2aNode = z.infer<typeof A2aNode>;

// end and fail terminate the run, so they take no `next`.
export const EndNode = z.strictObject({ type: z.literal('end'), ...common, output: ValueExpression.optional() });
export type EndNode = z.infer<typeof EndNode>;

export const FailNode = z.strictObject({ type: z.literal('fail'), ...common, error: ValueExpression.optional() });
export type FailNode = z.infer<typeof FailNode>;

export const NODE_TYPES = ['set', 'condition', 'parallel', 'wait', 'approval', 'llm', 'tool', 'a2a', 'subworkflow', 'end', 'fail'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export const Node = z.discriminatedUnion(
  'type',
  [SetNode, ConditionNode, ParallelNode, WaitNode, ApprovalNode, LlmNode, ToolNode, A2aNode, SubworkflowNode, EndNode, FailNode],
  { error: (issue) => (issue.code === 'invalid_union' ? `type must be one of ${NODE_TYPES.join(', ')}` : undefined) },
);
export type Node = z.infer<typeof Node>;

export const OAuthClient = z.strictObject({
  token_endpoint: z.url(),
  client_id: z.string().min(1),
  client_secret: Template.optional().describe('{{ secrets.<name> }}, rendered inside the activity'),
  private_key: Template.optional().describe('{{ secrets.<name> }}: a private JWK or PKCS#8 PEM, for private_key_jwt (RFC 7523)'),
  requested_scopes: z.array(z.string().min(1)).default([]),
  audience: z.string().min(1).optional(),
  resource: z.url().optional(),
  introspection_endpoint: z.url().optional().describe('when set, the user token is checked before every use, so a revocation is seen mid-run'),
  /** Who may end a run whose delegation failed (besides the run's own user, who may send a fresh token). */
  escalate_to: Approvers.optional(),
  escalation_timeout: Duration.default('24h'),
}).superRefine((client, ctx) => {
  if ((client.client_secret === undefined) === (client.private_key === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'the agent authenticates with exactly one of client_secret or private_key' });
  }
});
export type OAuthClient = z.infer<typeof OAuthClient>;

export const Limits = z.strictObject({
  max_steps: z.int().min(1).optional(),
  max_llm_calls: z.int().min(0).optional(),
  max_cost_usd: z.number().positive().optional(),
  max_iterations: z.int().min(1).optional(),
  max_duration: Duration.optional(),
});
export type Limits = z.infer<typeof Limits>;

export const Definition = z.strictObject({
  id: Slug,
  version: z.int().min(1),
  description: z.string().optional(),
  input: JsonSchemaObject.optional().describe('a JSON Schema for the run input'),
  data_policy: DataPolicy.prefault({}),
  oauth: OAuthClient.optional(),
  limits: Limits.prefault({}),
  secrets: z.record(SecretName, SecretReferenceText).default({}),
  start: NodeId,
  nodes: z
    .record(NodeId, Node)
    .refine((nodes) => Object.keys(nodes).length > 0, 'a definition needs at least one node'),
});
export type Definition = z.infer<typeof Definition>;

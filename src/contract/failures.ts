// The catalogue of failure types a run reports. Each is the `type` of the Temporal failure a step or run fails with,
// the `type` a definition reads from `nodes.<id>.error` after `on_error`, and the code a caller branches on; the
// message beside it is for people. Workflow-safe.

export interface FailureType {
  /** What happened, for the docs and for people reading a failure. */
  meaning: string;
  /** True when a node's `on_error` can catch it; otherwise it always fails the run. */
  routable: boolean;
}

const catalogue = <T extends Record<string, FailureType>>(entries: T) => entries;

export const RUN_FAILURES = catalogue({
  // The run itself
  DEFINITION_INVALID: { routable: false, meaning: 'the registered definition does not validate, or names a node that does not exist' },
  DEFINITION_NOT_FOUND: { routable: false, meaning: 'no definition of that id and version is registered for the tenant' },
  INPUT_INVALID: { routable: false, meaning: "the run's input does not match the definition's input schema" },
  TENANT_SUSPENDED: { routable: false, meaning: 'the tenant is suspended: its runs may not start or act' },
  PII_IN_WORKFLOW_ID: { routable: false, meaning: 'the workflow id holds personal data (Temporal stores ids unencrypted); use an opaque id' },
  RUN_FAILED: { routable: false, meaning: 'the run reached a `fail` node; the message is the node\'s `error`' },
  LIMIT_EXCEEDED: { routable: true, meaning: "a limit was reached: at a node (an llm node's iterations, the run's model calls or cost) `on_error` catches it; `max_steps` and `max_duration` fail the run" },
  // Expressions and waits
  EXPRESSION_ERROR: { routable: true, meaning: "an expression failed on the run's data; the message names node, field and expression, never the data" },
  WAIT_TIMEOUT: { routable: true, meaning: 'a wait for a signal or an approval passed its timeout' },
  // Humans
  APPROVAL_REJECTED: { routable: false, meaning: 'an approval node was rejected and has no `on_reject`' },
  DELEGATION_REJECTED: { routable: false, meaning: "the user's token could not be delegated and the person asked to resolve it ended the run" },
  // Tools and egress
  TOOL_HTTP_ERROR: { routable: true, meaning: "a tool's API answered with an error status: at once for a 4xx, after the step's retries for a 5xx or 429; details hold `{status}`" },
  TOOL_UNREACHABLE: { routable: true, meaning: "a tool's API could not be reached (connection refused or reset, timeout) through the step's retries" },
  TOOL_NOT_REGISTERED: { routable: true, meaning: 'the tool the node names is not registered on the worker' },
  EGRESS_DENIED: { routable: true, meaning: "the call's target is not allowed by the tenant's egress policy (or is one of the stack's own services)" },
  // Federation
  REMOTE_AGENT_REFUSED: { routable: true, meaning: "another organisation's agent refused the `a2a` node's call (certificate, token, allowlist or scope; 401/403/404); details hold `{status}`" },
  REMOTE_TASK_FAILED: { routable: true, meaning: "the remote task of an `a2a` node ended failed, canceled or rejected" },
  OAUTH_ERROR: { routable: true, meaning: 'the token exchange for a delegated call was refused by the identity provider' },
  // Secrets
  SECRET_NOT_FOUND: { routable: true, meaning: 'a secret the step names does not exist' },
  SECRET_DENIED: { routable: true, meaning: "a secret reference points outside the tenant's own prefix" },
  SECRET_AUTH_FAILED: { routable: true, meaning: 'the worker could not authenticate to the secret backend' },
  // Models
  LLM_PROVIDER_ERROR: { routable: true, meaning: 'the model provider failed the call after the step\'s retries' },
  LLM_TIMEOUT: { routable: true, meaning: 'the model did not answer within the step\'s timeout' },
  LLM_CANCELLED: { routable: true, meaning: 'the model call was cancelled' },
  BUDGET_EXCEEDED: { routable: true, meaning: "the call would pass the tenant's spending budget" },
  OUTPUT_INVALID: { routable: true, meaning: "the model's output did not match `output_schema`, even after one repair attempt" },
  INPUT_BLOCKED: { routable: true, meaning: 'the input guard blocked untrusted text that reads as instructions' },
  // Steward's own dependencies
  DEPENDENCY_UNAVAILABLE: { routable: true, meaning: "a dependency Steward runs on (database, secret backend, identity provider) stayed down past the run's dependency wait" },
  SECRET_BACKEND_UNAVAILABLE: { routable: true, meaning: "the secret backend failed, for a run recorded before outages were waited out" },
  TOKENIZER_FAILED: { routable: true, meaning: 'the PII vault could not tokenize or restore a value' },
});

export type RunFailureType = keyof typeof RUN_FAILURES;

/** The `type` of a failure, if it is one of the catalogue's. */
export function runFailureType(type: string | undefined | null): RunFailureType | undefined {
  return type !== undefined && type !== null && Object.hasOwn(RUN_FAILURES, type) ? (type as RunFailureType) : undefined;
}

/** The details of a run's failure that a node ended: which node (the failure's type and message are the root cause's). */
export interface FailedNodeDetails {
  node: string;
}
